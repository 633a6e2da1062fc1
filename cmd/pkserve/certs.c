/*
 * certs.c - CERTDIR, with Stenographer's file names: ca_cert.pem (the CA
 * that signs clients), server_cert.pem, server_key.pem.  Read whole into
 * memory before anything is served (MHD takes PEM in memory), and again
 * on SIGHUP: a renewed certificate or a new CA needs no restart.
 *
 * MHD holds the credentials it was started with and has no way to change
 * them, so each connection is given ours when it starts, before its
 * handshake (certs_take, from tlsauth_require): the set in force then.
 * A reload makes a new set current; an old one is freed when the last
 * connection that uses it closes (certs_drop).
 */
#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "pk.h"
#include "serve.h"

#define PEM_MAX (1 << 20)

struct certset {
	gnutls_certificate_credentials_t cred;
	unsigned refs;		/* connections using it, plus one while current */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct certset *current;
static const char *certdir;

/* a file of dir, whole, NUL-terminated; NULL with why */
static char *
slurp(const char *dir, const char *name, char *why, size_t wlen)
{
	char path[4200];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	char *buf;
	int fd;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
		snprintf(why, wlen, "%s: path too long", dir);
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		snprintf(why, wlen, "cannot open %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (st.st_size <= 0 || st.st_size > PEM_MAX) {
		snprintf(why, wlen, "%s: not a PEM file of up to 1 MiB", path);
		close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		if ((n = read(fd, buf + got, (size_t)st.st_size - got)) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why, wlen, "cannot read %s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return buf;
}

/* the three files read and made credentials; 0, or -1 with why (pems untouched) */
static int
load(const char *dir, char *pem[3], struct certset **out, char *why, size_t wlen)
{
	static const char *const names[3] = { "ca_cert.pem", "server_cert.pem", "server_key.pem" };
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_datum_t ca, crt, key;
	char *p[3] = { NULL, NULL, NULL };
	int e = 0;

	for (int i = 0; i < 3; i++)
		if ((p[i] = slurp(dir, names[i], why, wlen)) == NULL)
			goto fail;
	ca = (gnutls_datum_t){ (unsigned char *)p[0], (unsigned)strlen(p[0]) };
	crt = (gnutls_datum_t){ (unsigned char *)p[1], (unsigned)strlen(p[1]) };
	key = (gnutls_datum_t){ (unsigned char *)p[2], (unsigned)strlen(p[2]) };
	if ((e = gnutls_certificate_allocate_credentials(&cred)) < 0 ||
	    (e = gnutls_certificate_set_x509_key_mem(cred, &crt, &key, GNUTLS_X509_FMT_PEM)) < 0)
		goto gfail;
	if ((e = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM)) <= 0) {
		snprintf(why, wlen, "%s/ca_cert.pem: no CA certificate%s%s", dir, e < 0 ? ": " : "",
		    e < 0 ? gnutls_strerror(e) : "");
		goto fail;
	}
	*out = xcalloc(1, sizeof **out);
	(*out)->cred = cred;
	(*out)->refs = 1;
	for (int i = 0; i < 3; i++)
		pem[i] = p[i];
	return 0;
gfail:
	snprintf(why, wlen, "%s: server_cert.pem and server_key.pem: %s", dir, gnutls_strerror(e));
fail:
	if (cred)
		gnutls_certificate_free_credentials(cred);
	for (int i = 0; i < 3; i++)
		free(p[i]);
	return -1;
}

/* certs_load: CERTDIR's files, for MHD and for connections, or exit EX_CONFIG */
void
certs_load(const char *dir)
{
	char why[4400], *pem[3];

	if (load(dir, pem, &current, why, sizeof why) < 0)
		errx(EX_CONFIG, "%s", why);
	srv.ca_pem = pem[0];
	srv.cert_pem = pem[1];
	srv.key_pem = pem[2];
	certdir = dir;
}

/* certs_reload: read CERTDIR again (SIGHUP); a set that fails leaves the one in force */
void
certs_reload(void)
{
	char why[4400], *pem[3];
	struct certset *cs, *old;

	if (load(certdir, pem, &cs, why, sizeof why) < 0) {
		fprintf(stderr, "pkserve: certificates not reloaded, those in force kept: %s\n", why);
		return;
	}
	for (int i = 0; i < 3; i++)
		free(pem[i]);	/* MHD keeps the first ones; connections get cs */
	pthread_mutex_lock(&mu);
	old = current;
	current = cs;
	pthread_mutex_unlock(&mu);
	certs_drop(old);
	fprintf(stderr, "pkserve: certificates reloaded from %s\n", certdir);
}

/* certs_take: the set in force, held for a connection (certs_drop when it closes) */
struct certset *
certs_take(void)
{
	struct certset *cs;

	pthread_mutex_lock(&mu);
	cs = current;
	cs->refs++;
	pthread_mutex_unlock(&mu);
	return cs;
}

/* certs_cred: the GnuTLS credentials of a set */
void *
certs_cred(struct certset *cs)
{
	return cs->cred;
}

void
certs_drop(struct certset *cs)
{
	int last;

	if (cs == NULL)
		return;
	pthread_mutex_lock(&mu);
	last = --cs->refs == 0;
	pthread_mutex_unlock(&mu);
	if (last) {
		gnutls_certificate_free_credentials(cs->cred);
		free(cs);
	}
}
