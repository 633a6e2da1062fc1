/* hook.c - run the -z command on a finished file (hook.h). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hook.h"
#include "pk.h"

int
hook_run(const char *cmd, const char *path)
{
	char *script, name[64];
	pid_t pid;
	int st, fd;

	script = xasprintf("%s \"$1\"", cmd);
	snprintf(name, sizeof name, "%s-hook", pk_progname);
	if ((pid = fork()) < 0) {
		warn("fork for -z %s", cmd);
		free(script);
		return -1;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if ((fd = open("/dev/null", O_RDONLY)) >= 0 && fd != STDIN_FILENO) {
			dup2(fd, STDIN_FILENO);
			close(fd);
		}
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl("/bin/sh", "sh", "-c", script, name, path, (char *)NULL);
		_exit(127);
	}
	free(script);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			warn("waitpid for -z %s", cmd);
			return -1;
		}
	}
	if (WIFEXITED(st)) {
		if (WEXITSTATUS(st) != 0)
			warnx("-z %s %s: exit status %d", cmd, path, WEXITSTATUS(st));
		return WEXITSTATUS(st);
	}
	warnx("-z %s %s: killed by signal %d", cmd, path, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return -1;
}
