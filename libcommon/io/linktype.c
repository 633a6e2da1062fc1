/* linktype.c - the table of link types (linktype.h). */
#include <stddef.h>

#include "linktype.h"

/*
 * Ethernet first: decode_packet looks a type up for every packet.
 * XXX PPP, PPP_HDLC, PPP_ETHER and C_HDLC are decoded but not judged: the
 * index is not trusted for them (a scan answers), as before the table.
 */
static const struct linktype table[] = {
	{ LINKTYPE_ETHERNET, "EN10MB", LTF_ETHER, 14, 12, LT_JUDGED, 0 },
	{ LINKTYPE_LINUX_SLL, "LINUX_SLL", LTF_ETHERTYPE, 16, 14, LT_JUDGED | LT_SWAPPED, 0 },
	{ LINKTYPE_LINUX_SLL2, "LINUX_SLL2", LTF_ETHERTYPE, 20, 0, LT_JUDGED | LT_SWAPPED, 0 },
	{ LINKTYPE_RAW, "RAW", LTF_RAWIP, 0, 0, LT_JUDGED, 0 },
	{ LINKTYPE_RAW_12, "RAW", LTF_RAWIP, 0, 0, LT_JUDGED, 0 },
	{ LINKTYPE_RAW_14, "RAW", LTF_RAWIP, 0, 0, LT_JUDGED, 0 },
	{ LINKTYPE_IPV4, "IPV4", LTF_RAWIP, 0, 4, LT_JUDGED, 0 },
	{ LINKTYPE_IPV6, "IPV6", LTF_RAWIP, 0, 6, LT_JUDGED, 0 },
	{ LINKTYPE_NULL, "NULL", LTF_AF, 4, 0, LT_JUDGED, 0 },
	{ LINKTYPE_LOOP, "LOOP", LTF_AF, 4, 0, LT_JUDGED, 0 },
	{ LINKTYPE_PPP, "PPP", LTF_PPP_HDLC, 0, 0, 0, 0 },
	{ LINKTYPE_PPP_HDLC, "PPP_HDLC", LTF_PPP_HDLC, 0, 0, 0, 0 },
	{ LINKTYPE_PPP_ETHER, "PPP_ETHER", LTF_PPP, 0, 6, 0, 0 },
	{ LINKTYPE_C_HDLC, "C_HDLC", LTF_ETHERTYPE, 4, 2, 0, 0 },
	{ LINKTYPE_USB_LINUX, "USB_LINUX", LTF_NONE, 0, 0, LT_SWAPPED, 0 },
	{ LINKTYPE_USB_LINUX_MMAPPED, "USB_LINUX_MMAPPED", LTF_NONE, 0, 0, LT_SWAPPED, 0 },
	{ LINKTYPE_NFLOG, "NFLOG", LTF_NONE, 0, 0, LT_SWAPPED, 0 },
	{ LINKTYPE_DBUS, "DBUS", LTF_NONE, 0, 0, 0, 128u << 20 },
	{ LINKTYPE_EBHSCR, "EBHSCR", LTF_NONE, 0, 0, 0, 8u << 20 },
	{ LINKTYPE_USBPCAP, "USBPCAP", LTF_NONE, 0, 0, 0, 1u << 20 },
};

const struct linktype *
linktype_find(uint32_t lt)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].lt == lt)
			return &table[i];
	return NULL;
}

int
linktype_has(uint32_t lt, unsigned flags)
{
	const struct linktype *t = linktype_find(lt);

	return t != NULL && (t->flags & flags) == flags;
}
