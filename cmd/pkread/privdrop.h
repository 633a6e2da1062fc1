/*
 * privdrop.h - give up root for good once the capture handle is open.
 */
#ifndef PK_PRIVDROP_H
#define PK_PRIVDROP_H

/*
 * privdrop_user: become user (name or numeric uid): supplementary groups,
 * gid, uid, then verify that real, effective and saved ids and the group
 * list are what they should be and that uid 0 cannot be regained.  Any
 * failure is fatal: EX_CONFIG (unknown user), EX_NOPERM (not root, or
 * root could be regained), EX_OSERR (a system call failed).
 */
void privdrop_user(const char *user);

#endif
