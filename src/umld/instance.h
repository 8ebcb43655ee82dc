/* A named instance (`umld start FILE`): a monitor with a state directory and
 * a control socket, in the foreground or as a daemon. */
#ifndef UMLD_UMLD_INSTANCE_H
#define UMLD_UMLD_INSTANCE_H

#include <stdbool.h>

#include "common/error.h"
#include "umld/conffile.h"
#include "umld/monitor.h"

/* Turns an instance file into monitor options (pointing into cfg). Keys of
 * features that do not exist yet are refused, naming file and key. */
int instance_opts(const struct instance_config *cfg, struct monitor_opts *o, struct umld_err *err);
/* Frees what instance_opts allocated (the environment). */
void instance_opts_free(struct monitor_opts *o);

/* Runs the instance of cfg. With detach, returns in the caller once the
 * guest's first process runs (the monitor carries on as a daemon); else runs
 * it in the foreground. Returns the exit status for `umld start`. */
int instance_start(const struct instance_config *cfg, bool detach, bool explain);

/* For `umld daemon`: runs the instance in this process, its output (and
 * the guest's) going to the instance's log; returns the exit status. */
int instance_run_logged(const struct instance_config *cfg);

#endif
