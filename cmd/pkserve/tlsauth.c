/*
 * tlsauth.c - who the client is: its certificate, checked by GnuTLS
 * against CERTDIR/ca_cert.pem (the set in force, certs.c).
 *
 * MHD only asks for a client certificate; tlsauth_require, called when a
 * connection starts (before the handshake), makes GnuTLS require one and
 * verify it during the handshake, so a client without one, or with one
 * from another CA or expired, is refused by TLS itself.  tlsauth_client
 * checks again for each request (belt and braces) and names the client.
 */
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "serve.h"

static gnutls_session_t
session(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);

	return ci ? (gnutls_session_t)ci->tls_session : NULL;
}

void
tlsauth_require(struct MHD_Connection *c, struct certset *cs)
{
	gnutls_session_t s = session(c);

	if (s == NULL)
		return;
	/* the certificates in force now (certs.c), not those MHD was started with */
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, certs_cred(cs));
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
	gnutls_session_set_verify_cert(s, NULL, 0);
}

/* the peer's verified certificate, imported; 0 or -1 with why */
static int
peer_cert(struct MHD_Connection *c, gnutls_x509_crt_t *crt, char *why, size_t wlen)
{
	gnutls_session_t s = session(c);
	const gnutls_datum_t *list;
	unsigned n = 0, status = 0;

	if (s == NULL) {
		snprintf(why, wlen, "not a TLS connection");
		return -1;
	}
	if ((list = gnutls_certificate_get_peers(s, &n)) == NULL || n == 0) {
		snprintf(why, wlen, "no client certificate");
		return -1;
	}
	if (gnutls_certificate_verify_peers2(s, &status) < 0 || status != 0) {
		snprintf(why, wlen, "client certificate not valid (status 0x%x)", status);
		return -1;
	}
	if (gnutls_x509_crt_init(crt) < 0)
		return snprintf(why, wlen, "out of memory"), -1;
	if (gnutls_x509_crt_import(*crt, &list[0], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(*crt);
		snprintf(why, wlen, "client certificate unreadable");
		return -1;
	}
	return 0;
}

/* the subject's CN, or "" */
static void
common_name(gnutls_x509_crt_t crt, char *name, size_t nlen)
{
	size_t len = nlen;

	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, name, &len) < 0)
		name[0] = '\0';
}

/* tlsauth_client: 0 and the CN (or the first SAN) in name, or -1 and why */
int
tlsauth_client(struct MHD_Connection *c, char *name, size_t nlen, char *why, size_t wlen)
{
	gnutls_x509_crt_t crt;

	if (peer_cert(c, &crt, why, wlen) < 0)
		return -1;
	common_name(crt, name, nlen);
	if (name[0] == '\0')
		snprintf(name, nlen, "-");
	gnutls_x509_crt_deinit(crt);
	return 0;
}

/* tlsauth_names: the CN and every DNS, e-mail, URI and IP SAN, up to max; how many */
int
tlsauth_names(struct MHD_Connection *c, char names[][SERVE_NAME_MAX], int max)
{
	gnutls_x509_crt_t crt;
	char why[128];
	int n = 0, ret;

	if (peer_cert(c, &crt, why, sizeof why) < 0)
		return 0;
	common_name(crt, names[0], SERVE_NAME_MAX);
	if (names[0][0])
		n++;
	for (unsigned i = 0; n < max; i++) {
		size_t len = SERVE_NAME_MAX - 1;
		unsigned critical;
		ret = gnutls_x509_crt_get_subject_alt_name(crt, i, names[n], &len, &critical);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (ret == GNUTLS_SAN_DNSNAME || ret == GNUTLS_SAN_RFC822NAME || ret == GNUTLS_SAN_URI) {
			names[n][len] = '\0';
			n++;
		}
	}
	gnutls_x509_crt_deinit(crt);
	return n;
}
