/*
 * listen.c - the listening socket: one of ours (-l ADDR:PORT, "[v6]:PORT"
 * for IPv6), or the one systemd passes (LISTEN_FDS, a socket unit).
 */
#include <err.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pk.h"
#include "serve.h"

/* listen_systemd: fd 3 when systemd passed exactly one socket to this process, else -1 */
int
listen_systemd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != getpid())
		return -1;
	if (strcmp(fds, "1") != 0)
		errx(EX_CONFIG, "systemd passed %s sockets: give the service one", fds);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 3;
}

/* listen_socket: bound and listening, or exit */
int
listen_socket(const char *spec)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai;
	char host[256], *port;
	int fd, one = 1, e;

	if (strlcpy(host, spec, sizeof host) >= sizeof host || (port = strrchr(host, ':')) == NULL)
		errx(EX_USAGE, "-l %s: give ADDR:PORT", spec);
	*port++ = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if ((e = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai)) != 0)
		errx(EX_USAGE, "-l %s: %s", spec, gai_strerror(e));
	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0)) < 0)
		err(EX_OSERR, "socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		err(EX_UNAVAILABLE, "cannot bind %s", spec);
	if (listen(fd, 64) < 0)
		err(EX_OSERR, "listen");
	freeaddrinfo(ai);
	return fd;
}

/* listen_say: "listening on ADDR:PORT" (the port the kernel chose for -l ADDR:0) */
void
listen_say(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof a);
		port = ntohs(s->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof a);
		port = ntohs(s->sin6_port);
	}
	fprintf(stderr, ss.ss_family == AF_INET6 ? "pkserve: listening on [%s]:%u\n" : "pkserve: listening on %s:%u\n",
	    a, port);
}
