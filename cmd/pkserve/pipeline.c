/*
 * pipeline.c - run "pkfind ... | pkslice ..." (or pkfind alone) for one
 * request: fork and exec, no shell, both programs in a process group of
 * their own so that one kill(2) ends the whole answer when the client goes
 * away or a limit is reached.  Standard error of both goes to one memfd,
 * read after the end (the coverage line, an error), so a chatty program
 * can never block on a pipe nobody reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pk.h"
#include "serve.h"

/* in the child: stdin, stdout, stderr, then exec; never returns */
static void
child(pid_t pgid, int in, int out, int errfd, char *const *argv)
{
	sigset_t none;

	(void)setpgid(0, pgid);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(EX_OSERR);
	/* every other descriptor (the listening socket, other clients) is O_CLOEXEC or closed here */
	closefrom(3);
	execv(argv[0], argv);
	dprintf(2, "pkserve: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(EX_UNAVAILABLE);
}

static pid_t
spawn(pid_t pgid, int in, int out, int errfd, char *const *argv)
{
	pid_t pid = fork();

	if (pid == 0)
		child(pgid, in, out, errfd, argv);
	if (pid > 0)
		(void)setpgid(pid, pgid ? pgid : pid);	/* also here: no race with a kill */
	return pid;
}

/*
 * pipeline_start: a1 | a2 (a2 NULL: a1 alone); p->out is the read end.
 * 0, or -1 with errno.
 */
int
pipeline_start(struct pipeline *p, char *const *a1, char *const *a2)
{
	int mid[2] = { -1, -1 }, out[2] = { -1, -1 }, nul = -1;

	memset(p, 0, sizeof *p);
	p->out = p->err = -1;
	if ((p->err = memfd_create("pkserve-stderr", MFD_CLOEXEC)) < 0 ||
	    (nul = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0 || (a2 && pipe2(mid, O_CLOEXEC) < 0))
		goto fail;
	if ((p->pid[0] = spawn(0, nul, a2 ? mid[1] : out[1], p->err, a1)) < 0)
		goto fail;
	p->pgid = p->pid[0];
	p->n = 1;
	if (a2) {
		if ((p->pid[1] = spawn(p->pgid, mid[0], out[1], p->err, a2)) < 0) {
			pipeline_kill(p);
			(void)pipeline_wait(p);
			goto fail;
		}
		p->n = 2;
		close(mid[0]);
		close(mid[1]);
	}
	close(nul);
	close(out[1]);
	p->out = out[0];
	return 0;
fail:
	{
		int e = errno;
		int fds[] = { mid[0], mid[1], out[0], out[1], nul, p->err };
		for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		p->err = -1;
		errno = e;
	}
	return -1;
}

/* pipeline_kill: end the whole group at once (the answer is not wanted any more) */
void
pipeline_kill(struct pipeline *p)
{
	if (p->pgid > 0 && !p->reaped)
		(void)kill(-p->pgid, SIGKILL);
}

/* pipeline_reap: wait for program i; its status (-1: it died of SIGPIPE, a signal is EX_SOFTWARE) */
int
pipeline_reap(struct pipeline *p, int i)
{
	int st;

	if (p->done[i])
		return p->code[i];
	while (waitpid(p->pid[i], &st, 0) < 0)
		if (errno != EINTR) {
			st = EX_SOFTWARE << 8;
			break;
		}
	if (WIFEXITED(st))
		p->code[i] = WEXITSTATUS(st);
	else
		p->code[i] = WTERMSIG(st) == SIGPIPE ? -1 : EX_SOFTWARE;
	p->done[i] = 1;
	return p->code[i];
}

/*
 * pipeline_wait: close the output, reap both programs; the status is the
 * first program's that failed, else 0 (pkfind's SIGPIPE is pkslice's doing).
 */
int
pipeline_wait(struct pipeline *p)
{
	if (p->reaped)
		return p->status;
	watch_forget(p);	/* before any reaping: the group may not be killed once reused */
	if (p->out >= 0)
		close(p->out);
	p->out = -1;
	for (int i = 0; i < p->n; i++)
		(void)pipeline_reap(p, i);
	p->status = p->code[0] > 0 ? p->code[0] : p->n > 1 && p->code[1] > 0 ? p->code[1] : 0;
	p->reaped = 1;
	return p->status;
}

/* pipeline_close: after the wait, the stderr memfd */
void
pipeline_close(struct pipeline *p)
{
	if (p->err >= 0)
		close(p->err);
	p->err = -1;
}

/* pipeline_errors: what the programs wrote on stderr (up to len-1 bytes, NUL-terminated) */
size_t
pipeline_errors(struct pipeline *p, char *buf, size_t len)
{
	ssize_t n;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (p->err < 0)
		return 0;
	n = pread(p->err, buf, len - 1, 0);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return (size_t)n;
}
