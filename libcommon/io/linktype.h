/*
 * linktype.h - the pcap link types pk knows, in one table: how decode.c
 * reads each link header, which ones the index judges (query_judged), and
 * what pcapfile.c must know of libpcap's handling.  Values are the
 * LINKTYPE_ ones that pcap files hold (tcpdump.org/linktypes.html).
 */
#ifndef PK_LINKTYPE_H
#define PK_LINKTYPE_H

#include <stdint.h>

#define LINKTYPE_NULL          0     /* BSD loopback: AF in host byte order */
#define LINKTYPE_ETHERNET      1
#define LINKTYPE_PPP           9
#define LINKTYPE_RAW_12        12    /* DLT_RAW's value on OpenBSD */
#define LINKTYPE_RAW_14        14    /* DLT_RAW's value on some other BSDs */
#define LINKTYPE_PPP_HDLC      50
#define LINKTYPE_PPP_ETHER     51    /* PPPoE session header without Ethernet */
#define LINKTYPE_RAW           101
#define LINKTYPE_C_HDLC        104
#define LINKTYPE_LOOP          108   /* OpenBSD loopback: AF in network byte order */
#define LINKTYPE_LINUX_SLL     113
#define LINKTYPE_USB_LINUX     189
#define LINKTYPE_USB_LINUX_MMAPPED 220
#define LINKTYPE_IPV4          228
#define LINKTYPE_IPV6          229
#define LINKTYPE_DBUS          231
#define LINKTYPE_NFLOG         239
#define LINKTYPE_USBPCAP       249
#define LINKTYPE_LINUX_SLL2    276
#define LINKTYPE_EBHSCR        279

/*
 * The one link type whose frames carry the MAC addresses the index keys
 * ("ether host"): a file of any other type has none, wherever that is
 * decided (the index, the catalog, the SQL translation).
 */
#define LINKTYPE_MAC LINKTYPE_ETHERNET

/* how decode_packet finds the network layer */
enum lt_frame {
	LTF_NONE,        /* not decoded */
	LTF_ETHER,       /* Ethernet: MACs, ethertype at 12, VLAN tags */
	LTF_ETHERTYPE,   /* a fixed header of hdrlen bytes, the ethertype at arg */
	LTF_RAWIP,       /* IP from byte 0; arg: the version (0: read it) */
	LTF_PPP_HDLC,    /* PPP, after an optional ff 03 */
	LTF_PPP,         /* PPP at arg */
	LTF_AF,          /* a 4-byte address family in either byte order, then IP */
};

#define LT_JUDGED   0x1u  /* the index's keys agree with BPF on it (query_judged) */
#define LT_SWAPPED  0x2u  /* libpcap rewrites its pseudo-header in a byte-swapped file */

struct linktype {
	uint32_t lt;
	const char *name;
	enum lt_frame frame;
	uint8_t hdrlen, arg;
	unsigned flags;
	uint32_t maxcap;      /* libpcap's max_snaplen_for_dlt when not the default, else 0 */
};

/* linktype_find: the table's entry for lt, or NULL */
const struct linktype *linktype_find(uint32_t lt);
/* linktype_has: 1 if lt is in the table with every bit of flags */
int linktype_has(uint32_t lt, unsigned flags);

#endif
