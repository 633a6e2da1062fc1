/*
 * privdrop.h - give up root for good once the capture handle is open.
 */
#ifndef PK_PRIVDROP_H
#define PK_PRIVDROP_H

/*
 * privdrop_user: become user (name or numeric uid): the capability
 * bounding set emptied (while root), supplementary groups, gid, uid, the
 * ambient and permitted capabilities gone, no_new_privs set; then verify
 * that real, effective and saved ids and the group list are what they
 * should be, that uid 0 cannot be regained, and (in /proc/self/status)
 * that no capability is left or can be gained.  Any failure is fatal:
 * EX_CONFIG (unknown user), EX_NOPERM (not root, or something could be
 * regained), EX_OSERR (a system call failed).
 */
void privdrop_user(const char *user);

#endif
