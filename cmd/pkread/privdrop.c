/* privdrop.c - drop root to an unprivileged user, fatally if anything is off. */
#include <err.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "pk.h"
#include "privdrop.h"

#define NGROUPS_CHECK 256

static int
gid_in(gid_t g, const gid_t *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i] == g)
			return 1;
	return 0;
}

/* The group list the kernel holds must be exactly the user's groups. */
static void
verify_groups(const struct passwd *pw)
{
	gid_t want[NGROUPS_CHECK], have[NGROUPS_CHECK];
	int nwant = NGROUPS_CHECK, nhave, i;

	if (getgrouplist(pw->pw_name, pw->pw_gid, want, &nwant) < 0)
		errx(EX_OSERR, "-Z %s: user is in more than %d groups", pw->pw_name, NGROUPS_CHECK);
	if ((nhave = getgroups(NGROUPS_CHECK, have)) < 0)
		err(EX_OSERR, "getgroups");
	for (i = 0; i < nhave; i++)
		if (!gid_in(have[i], want, nwant) && have[i] != pw->pw_gid)
			errx(EX_NOPERM, "-Z %s: still in group %lu after dropping privileges",
			    pw->pw_name, (unsigned long)have[i]);
}

static void
verify_ids(const struct passwd *pw)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		err(EX_OSERR, "getresuid");
	if (ru != pw->pw_uid || eu != pw->pw_uid || su != pw->pw_uid ||
	    rg != pw->pw_gid || eg != pw->pw_gid || sg != pw->pw_gid)
		errx(EX_NOPERM, "-Z %s: user or group ids are not all %lu/%lu after dropping privileges",
		    pw->pw_name, (unsigned long)pw->pw_uid, (unsigned long)pw->pw_gid);
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
	    getgid() != pw->pw_gid || getegid() != pw->pw_gid)
		errx(EX_NOPERM, "-Z %s: ids disagree after dropping privileges", pw->pw_name);
	verify_groups(pw);
	/* the proof that matters: root cannot be had back */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		errx(EX_NOPERM, "-Z %s: could regain root after dropping privileges", pw->pw_name);
	if (pw->pw_gid != 0 && (setgid(0) == 0 || setegid(0) == 0))
		errx(EX_NOPERM, "-Z %s: could regain group 0 after dropping privileges", pw->pw_name);
}

/*
 * The capabilities nothing may ever give back: the bounding set (needs
 * CAP_SETPCAP, so root only, before the uid changes), the ambient set,
 * and no_new_privs, so that no exec of a set-uid or file-capability
 * program regains what was dropped (as pflogd and stenotype do).
 */
static void
drop_bounding(void)
{
	for (unsigned long cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			err(EX_OSERR, "-Z: dropping capability %lu from the bounding set", cap);
}

static void
drop_rest(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		err(EX_OSERR, "-Z: clearing the ambient capabilities");
	/* a unit that started us unprivileged gave CAP_NET_RAW: the handle is open, give it up */
	memset(d, 0, sizeof d);
	if (geteuid() != 0 && syscall(SYS_capset, &h, d) < 0)
		err(EX_OSERR, "-Z: dropping the permitted capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		err(EX_OSERR, "-Z: setting no_new_privs");
}

/*
 * what the kernel says: no capability left (but root's own), none to gain,
 * no_new_privs.  bounding: the bounding set was ours to drop (we were root).
 */
static void
verify_caps(const struct passwd *pw, int bounding)
{
	static const char *const want0[] = { "CapInh:", "CapBnd:", "CapAmb:", "CapPrm:", "CapEff:" };
	char line[256];
	FILE *fp = fopen("/proc/self/status", "r");
	int nnp = 0, seen = 0;

	if (fp == NULL)
		err(EX_OSERR, "-Z %s: /proc/self/status", pw->pw_name);
	while (fgets(line, sizeof line, fp) != NULL) {
		for (size_t i = 0; i < sizeof want0 / sizeof want0[0]; i++) {
			size_t n = strlen(want0[i]);
			unsigned long long v;

			if (strncmp(line, want0[i], n) != 0)
				continue;
			seen++;
			if (i == 1 && !bounding)
				continue;
			/* uid 0 keeps its permitted and effective sets: -Z root drops nothing else */
			if (sscanf(line + n, "%llx", &v) == 1 && v != 0 && (pw->pw_uid != 0 || i < 3))
				errx(EX_NOPERM, "-Z %s: %.*s still %llx after dropping privileges", pw->pw_name,
				    (int)n - 1, line, v);
		}
		if (strncmp(line, "NoNewPrivs:", 11) == 0)
			nnp = atoi(line + 11);
	}
	fclose(fp);
	if (seen != (int)(sizeof want0 / sizeof want0[0]) || nnp != 1)
		errx(EX_NOPERM, "-Z %s: no_new_privs is not set after dropping privileges", pw->pw_name);
}

void
privdrop_user(const char *user)
{
	struct passwd *pw;
	const char *e;
	long long id;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		id = strtonum(user, 0, UINT_MAX - 1, &e);
		if (e != NULL || (pw = getpwuid((uid_t)id)) == NULL)
			errx(EX_CONFIG, "-Z %s: no such user", user);
	}
	if (geteuid() != 0) {
		/* already that user (a unit started us unprivileged): only its capabilities to drop */
		if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid) {
			verify_ids(pw);
			drop_rest();
			verify_caps(pw, 0);
			return;
		}
		errx(EX_NOPERM, "-Z %s: only root can change to another user", user);
	}
	/* before the ids change: whoever sees the new uid sees nothing left to regain */
	drop_bounding();
	drop_rest();
	if (initgroups(pw->pw_name, pw->pw_gid) < 0)
		err(EX_OSERR, "-Z %s: initgroups", user);
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0)
		err(EX_OSERR, "-Z %s: setresgid", user);
	/* leaving uid 0 clears the permitted, effective and ambient sets (no SECBIT_KEEP_CAPS) */
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		err(EX_OSERR, "-Z %s: setresuid", user);
	verify_ids(pw);
	verify_caps(pw, 1);
}
