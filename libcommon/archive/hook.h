/*
 * hook.h - the -z command of pkrotate (each finished pcap) and pkindex
 * (each pcap whose index was just renamed into place).
 *
 * The command is given to /bin/sh as `CMD "$1"` with the path as $1, so
 * a path can never be read as shell syntax.  Its standard input is
 * /dev/null and its standard output goes to our standard error (standard
 * output may carry the stream); its $0 is "<program>-hook".  The caller
 * waits for it: a hook that takes long holds the stream back (the kernel
 * pipe and the writer's buffer absorb the pause); a hook with long work
 * should start it in the background.
 */
#ifndef PK_HOOK_H
#define PK_HOOK_H

/* hook_run: run cmd on path and wait; its exit status, or -1 (reported on stderr). */
int hook_run(const char *cmd, const char *path);

#endif
