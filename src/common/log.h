/* Logging that knows where it is: each line names the function, and, when
 * set, the instance; guest-related lines carry the guest pid. Errors for the
 * user go through struct umld_err, not through here. */
#ifndef UMLD_COMMON_LOG_H
#define UMLD_COMMON_LOG_H

#include <sys/types.h>

enum umld_log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void umld_log_set_level(enum umld_log_level level);
enum umld_log_level umld_log_get_level(void);
void umld_log_set_instance(const char *name);
void umld_log_write(enum umld_log_level level, const char *func, pid_t guest,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_error(...) umld_log_write(LOG_LVL_ERROR, __func__, 0, __VA_ARGS__)
#define log_warn(...) umld_log_write(LOG_LVL_WARN, __func__, 0, __VA_ARGS__)
#define log_info(...) umld_log_write(LOG_LVL_INFO, __func__, 0, __VA_ARGS__)
#define log_debug(...)                                                          \
	do {                                                                    \
		if (umld_log_get_level() >= LOG_LVL_DEBUG)                      \
			umld_log_write(LOG_LVL_DEBUG, __func__, 0, __VA_ARGS__); \
	} while (0)
/* For lines about one guest task. */
#define glog_warn(pid, ...) umld_log_write(LOG_LVL_WARN, __func__, (pid), __VA_ARGS__)
#define glog_debug(pid, ...)                                                      \
	do {                                                                      \
		if (umld_log_get_level() >= LOG_LVL_DEBUG)                        \
			umld_log_write(LOG_LVL_DEBUG, __func__, (pid), __VA_ARGS__); \
	} while (0)

#endif
