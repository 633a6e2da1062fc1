/* privdrop.c - drop root to an unprivileged user, fatally if anything is off. */
#include <err.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
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
		/* already that user (a unit started us unprivileged): nothing to drop */
		if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid) {
			verify_ids(pw);
			return;
		}
		errx(EX_NOPERM, "-Z %s: only root can change to another user", user);
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0)
		err(EX_OSERR, "-Z %s: initgroups", user);
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0)
		err(EX_OSERR, "-Z %s: setresgid", user);
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		err(EX_OSERR, "-Z %s: setresuid", user);
	verify_ids(pw);
}
