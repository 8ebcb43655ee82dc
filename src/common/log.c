/* The log sink: stderr for now, one line per message. The level and the
 * instance name are process-wide settings of the monitor. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "common/log.h"

static struct {
	enum umld_log_level level;
	char instance[64];
} log_cfg = { .level = LOG_LVL_WARN };

void umld_log_set_level(enum umld_log_level level)
{
	log_cfg.level = level;
}

enum umld_log_level umld_log_get_level(void)
{
	return log_cfg.level;
}

void umld_log_set_instance(const char *name)
{
	snprintf(log_cfg.instance, sizeof(log_cfg.instance), "%s", name ? name : "");
}

void umld_log_write(enum umld_log_level level, const char *func, pid_t guest,
		    const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char who[96] = "umld";
	char msg[1024];
	va_list ap;

	if (level > log_cfg.level)
		return;
	if (log_cfg.instance[0])
		snprintf(who, sizeof(who), "umld[%s]", log_cfg.instance);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (guest > 0)
		fprintf(stderr, "%s: %s: %s: [guest %d] %s\n", who, names[level], func, (int)guest, msg);
	else
		fprintf(stderr, "%s: %s: %s: %s\n", who, names[level], func, msg);
}
