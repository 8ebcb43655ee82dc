/* Mapping the caller's ids in a new user namespace, from a child between
 * clone (or unshare) and exec: async-signal-safe, no stdio, no malloc. */
#ifndef UMLD_COMMON_IDMAP_H
#define UMLD_COMMON_IDMAP_H

#include <stdbool.h>

/* Writes /proc/self/uid_map, setgroups ("deny") and gid_map of the calling
 * process, just entered in a new user namespace: uid and gid (the ids it
 * had before, read then: inside they read as the overflow id) map to
 * themselves, or to 0 when as_root. 0 or -errno. */
int idmap_write_self(unsigned uid, unsigned gid, bool as_root);

#endif
