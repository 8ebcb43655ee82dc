/* The error object of umld's error convention (see error.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"

static void err_vset(struct umld_err *err, const char *fmt, va_list ap)
{
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int umld_err_set(struct umld_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (code >= 0)
		code = -EINVAL;
	if (!err)
		return code;
	err->code = code;
	err->exit_status = UMLD_EXIT_FAILURE;
	va_start(ap, fmt);
	err_vset(err, fmt, ap);
	va_end(ap);
	return code;
}

int umld_err_usage(struct umld_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	err->code = -EINVAL;
	err->exit_status = UMLD_EXIT_USAGE;
	va_start(ap, fmt);
	err_vset(err, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int umld_err_prefix(struct umld_err *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	size_t n;
	va_list ap;

	if (!err)
		return -EINVAL;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* "prefix: old", cut to fit */
	n = strlen(err->msg);
	if (n + 2 < sizeof(err->msg)) {
		memcpy(err->msg + n, ": ", 2);
		n += 2;
		old[sizeof(old) - 1 - n] = '\0';
		memcpy(err->msg + n, old, strlen(old) + 1);
	}
	return err->code ? err->code : -EINVAL;
}
