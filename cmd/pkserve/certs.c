/*
 * certs.c - CERTDIR, with Stenographer's file names: ca_cert.pem (the CA
 * that signs clients), server_cert.pem, server_key.pem.  Read whole into
 * memory before anything is served (MHD takes PEM in memory).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pk.h"
#include "serve.h"

#define PEM_MAX (1 << 20)

static char *
slurp(const char *dir, const char *name)
{
	char path[4200];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	char *buf;
	int fd;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		errx(EX_CONFIG, "%s: path too long", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		err(EX_CONFIG, "cannot open %s", path);
	if (fstat(fd, &st) < 0)
		err(EX_CONFIG, "cannot stat %s", path);
	if (st.st_size <= 0 || st.st_size > PEM_MAX)
		errx(EX_CONFIG, "%s: not a PEM file of up to 1 MiB", path);
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		if ((n = read(fd, buf + got, (size_t)st.st_size - got)) < 0) {
			if (errno == EINTR)
				continue;
			err(EX_CONFIG, "cannot read %s", path);
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return buf;
}

/* certs_load: the three files of CERTDIR, or exit EX_CONFIG */
void
certs_load(const char *dir)
{
	srv.ca_pem = slurp(dir, "ca_cert.pem");
	srv.cert_pem = slurp(dir, "server_cert.pem");
	srv.key_pem = slurp(dir, "server_key.pem");
}
