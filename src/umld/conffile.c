/* Instance files (umld.conf(5)): one table says which [Section] Key= exist and
 * how each value is parsed; the line parser only splits lines and applies it. */
/* Autoconf's config.h comes in first through this header (see there). */
#include "umld/conffile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/util.h"

/* An instance file is a page or two; anything this big is a mistake (or
 * /dev/zero), and reading it whole would only waste memory. */
#define CONFIG_FILE_MAX (1024 * 1024)

/* What a setter found wrong: the text after "FILE:LINE: KEY: ". */
struct why {
	char msg[256];
	char shown[80]; /* the offending value, shortened to quote it */
};

static int bad(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct why *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A value to quote in a message: long ones are cut so that the message keeps
 * its end (what is wrong) within struct umld_err. */
static const char *show(struct why *w, const char *v)
{
	const size_t keep = sizeof(w->shown) - 4;

	if (strlen(v) < sizeof(w->shown))
		return v;
	memcpy(w->shown, v, keep);
	memcpy(w->shown + keep, "...", 4);
	return w->shown;
}

/* Whitespace as the file format knows it: \r too, so CRLF files read fine. */
static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

static char *trim(char *s)
{
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

static bool is_absolute(const char *p)
{
	return p[0] == '/';
}

/* ---- lists of strings ---- */

static size_t strv_len(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* Appends a copy of s[0..len) to the NULL-terminated *v, which holds *n
 * strings. */
static int strv_append(char ***v, size_t *n, const char *s, size_t len)
{
	char *copy = strndup(s, len);
	char **grown;

	if (!copy)
		return -ENOMEM;
	grown = realloc(*v, (*n + 2) * sizeof(**v));
	if (!grown) {
		free(copy);
		return -ENOMEM;
	}
	grown[(*n)++] = copy;
	grown[*n] = NULL;
	*v = grown;
	return 0;
}

void config_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Replaces *field with a copy of value (last one wins). */
static int set_string(char **field, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/* ---- value parsers shared with the CLI ---- */

/* Decimal digits, at least one, up to the first non-digit (*end). A number
 * too large for 64 bits saturates, so that callers report it as out of range
 * only once the rest of the text has been found well-formed. */
static int parse_digits(const char *s, const char **end, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		v = v > (ULLONG_MAX - d) / 10 ? ULLONG_MAX : v * 10 + d;
	}
	if (p == s)
		return -EINVAL;
	*end = p;
	*out = v;
	return 0;
}

/* digits, then nothing or one suffix character; the unit the suffix means. */
static int parse_scaled(const char *s, const char *suffixes, const long long *units,
			long long *out)
{
	unsigned long long v;
	const char *end, *which;
	long long unit = 1;

	if (parse_digits(s, &end, &v) < 0)
		return -EINVAL;
	if (*end) {
		which = strchr(suffixes, *end);
		if (!which || end[1])
			return -EINVAL;
		unit = units[which - suffixes];
	}
	if (v > (unsigned long long)(LLONG_MAX / unit))
		return -ERANGE;
	*out = (long long)v * unit;
	return 0;
}

int config_parse_size(const char *s, long long *out)
{
	static const long long units[] = { 1LL << 10, 1LL << 20, 1LL << 30, 1LL << 40 };

	return parse_scaled(s, "KMGT", units, out);
}

int config_parse_seconds(const char *s, long long *out)
{
	static const long long units[] = { 1, 60, 3600 };

	return parse_scaled(s, "smh", units, out);
}

int config_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Word splitting as in sh(1) "Token Recognition" and "Quoting", with no
 * expansion, operator or comment: $, `, ~, *, #, ;, |, < and > are ordinary
 * characters. A quote starts a word even when nothing is inside it, so ''
 * is an empty argument. */
int config_split_words_why(const char *s, char ***argv_out, const char **why)
{
	cleanup_free char *word = malloc(strlen(s) + 1); /* a word is never longer than s */
	char **v = NULL;
	size_t nv = 0, n = 0;
	bool in_word = false;
	const char *p = s;
	const char *problem = NULL;
	int r;

	if (!word)
		return -ENOMEM;
	while (*p) {
		if (p[0] == '\\' && p[1] == '\n') {
			p += 2; /* a line continuation disappears before words are found */
			continue;
		}
		if (is_blank(*p)) {
			if (in_word) {
				r = strv_append(&v, &nv, word, n);
				if (r < 0)
					goto fail;
				in_word = false;
				n = 0;
			}
			p++;
			continue;
		}
		in_word = true;
		if (*p == '\\') {
			if (!p[1]) {
				problem = "ends with a lone backslash";
				goto invalid;
			}
			word[n++] = p[1];
			p += 2;
		} else if (*p == '\'') {
			const char *q = strchr(p + 1, '\'');

			if (!q) {
				problem = "unterminated single quote";
				goto invalid;
			}
			memcpy(word + n, p + 1, (size_t)(q - p - 1));
			n += (size_t)(q - p - 1);
			p = q + 1;
		} else if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (!*p) {
					problem = "unterminated double quote";
					goto invalid;
				}
				/* Inside double quotes a backslash escapes only these;
				 * before anything else it is itself. */
				if (p[0] == '\\' && p[1] && strchr("\"\\$`\n", p[1])) {
					p++;
					if (*p == '\n')
						continue;
				}
				word[n++] = *p;
			}
			p++;
		} else {
			word[n++] = *p++;
		}
	}
	if (in_word) {
		r = strv_append(&v, &nv, word, n);
		if (r < 0)
			goto fail;
	}
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	*argv_out = v;
	return 0;

invalid:
	if (why)
		*why = problem;
	r = -EINVAL;
fail:
	config_strv_free(v);
	return r;
}

int config_split_words(const char *s, char ***argv_out)
{
	return config_split_words_why(s, argv_out, NULL);
}

/* ---- the table ---- */

struct config_key;

/* Parses value into the field of c that k names. Returns 0, -EINVAL with
 * w->msg filled, or -ENOMEM. */
typedef int config_setter(const struct config_key *k, struct instance_config *c,
			  const char *value, struct why *w);

enum {
	KEY_REQUIRED = 1 << 0,   /* a file without it is an error */
	KEY_REPEATABLE = 1 << 1, /* each occurrence adds to a list */
	KEY_ONCE = 1 << 2,       /* a second occurrence is an error, not "last wins" */
};

struct config_key {
	const char *section;
	const char *key;
	config_setter *set;
	unsigned flags;
	size_t offset;              /* of the field in struct instance_config */
	const char *const *choices; /* set_choice_*: the accepted values, NULL-terminated */
	long long min;              /* set_size, set_seconds, set_count: smallest accepted */
};

#define FIELD(c, k, type) ((type *)((char *)(c) + (k)->offset))

static int set_name(const struct config_key *k, struct instance_config *c, const char *value,
		    struct why *w)
{
	size_t n = strlen(value);

	if (n == 0 || n > 64 || value[0] == '.' || value[0] == '-' ||
	    strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
		return bad(w, "'%s' is not a valid name (1 to 64 of A-Z a-z 0-9 _ . -, "
			      "not starting with '.' or '-')", show(w, value));
	return set_string(FIELD(c, k, char *), value);
}

static int choice_find(const struct config_key *k, const char *value, struct why *w)
{
	size_t used;

	for (int i = 0; k->choices[i]; i++)
		if (strcmp(value, k->choices[i]) == 0)
			return i;
	used = (size_t)snprintf(w->msg, sizeof(w->msg), "'%s' is not one of:", show(w, value));
	for (int i = 0; k->choices[i] && used < sizeof(w->msg); i++)
		used += (size_t)snprintf(w->msg + used, sizeof(w->msg) - used, "%s %s",
					 i ? "," : "", k->choices[i]);
	return -EINVAL;
}

/* The field is an int: the index of the value among the choices. */
static int set_choice_index(const struct config_key *k, struct instance_config *c,
			    const char *value, struct why *w)
{
	int i = choice_find(k, value, w);

	if (i < 0)
		return i;
	*FIELD(c, k, int) = i;
	return 0;
}

/* The field is a char *: a copy of the value. */
static int set_choice_string(const struct config_key *k, struct instance_config *c,
			     const char *value, struct why *w)
{
	int i = choice_find(k, value, w);

	if (i < 0)
		return i;
	return set_string(FIELD(c, k, char *), k->choices[i]);
}

static int set_command(const struct config_key *k, struct instance_config *c, const char *value,
		       struct why *w)
{
	char ***field = FIELD(c, k, char **);
	const char *problem = NULL;
	char **argv;
	int r = config_split_words_why(value, &argv, &problem);

	if (r == -EINVAL)
		return bad(w, "%s", problem);
	if (r < 0)
		return r;
	if (!argv[0] || !argv[0][0]) {
		bool no_words = !argv[0];

		config_strv_free(argv);
		return bad(w, "%s", no_words ? "is empty" : "the program name is empty");
	}
	config_strv_free(*field);
	*field = argv;
	return 0;
}

static bool is_variable_name(const char *s, size_t n)
{
	const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";

	if (n == 0 || !strchr(alpha, s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!strchr(alpha, s[i]) && !(s[i] >= '0' && s[i] <= '9'))
			return false;
	return true;
}

/* A variable given again replaces the earlier value in its place, as the
 * environment itself would keep only one. */
static int set_environment(const struct config_key *k, struct instance_config *c,
			   const char *value, struct why *w)
{
	char ***field = FIELD(c, k, char **);
	const char *eq = strchr(value, '=');
	size_t name_len = eq ? (size_t)(eq - value) : 0;
	size_t n;

	if (!eq || !is_variable_name(value, name_len))
		return bad(w, "'%s' is not NAME=VALUE with a valid variable name", show(w, value));
	for (size_t i = 0; *field && (*field)[i]; i++)
		if (strncmp((*field)[i], value, name_len + 1) == 0)
			return set_string(&(*field)[i], value);
	n = strv_len(*field);
	return strv_append(field, &n, value, strlen(value));
}

/* An absolute path; a repeatable key collects them in a char ** list, others
 * keep the last in a char *. */
static int set_path(const struct config_key *k, struct instance_config *c, const char *value,
		    struct why *w)
{
	size_t n;

	if (!is_absolute(value))
		return bad(w, "'%s' is not an absolute path", show(w, value));
	if (!(k->flags & KEY_REPEATABLE))
		return set_string(FIELD(c, k, char *), value);
	n = strv_len(*FIELD(c, k, char **));
	return strv_append(FIELD(c, k, char **), &n, value, strlen(value));
}

static int set_hostname(const struct config_key *k, struct instance_config *c,
			const char *value, struct why *w)
{
	size_t n = strlen(value);
	bool ok = n >= 1 && n <= 64;

	for (size_t i = 0; ok && i < n; i++) {
		unsigned char ch = (unsigned char)value[i];

		ok = ch != '/' && !is_blank((char)ch) && ch >= 0x20 && ch != 0x7f;
	}
	if (!ok)
		return bad(w, "'%s' is not a valid hostname (1 to 64 bytes, no '/', "
			      "whitespace or control characters)", show(w, value));
	return set_string(FIELD(c, k, char *), value);
}

static int set_bool(const struct config_key *k, struct instance_config *c, const char *value,
		    struct why *w)
{
	if (config_parse_bool(value, FIELD(c, k, bool)) < 0)
		return bad(w, "'%s' is not a boolean (yes/no, true/false, on/off, 1/0)",
			   show(w, value));
	return 0;
}

/* HOST[:GUEST]. A second ':' is refused rather than read as part of GUEST: it
 * keeps "HOST:GUEST:OPTIONS" (as in systemd-nspawn) free for later. */
static int add_bind(struct instance_config *c, const char *value, bool read_only,
		    struct why *w)
{
	const char *colon = strchr(value, ':');
	const char *guest = colon ? colon + 1 : value;
	size_t host_len = colon ? (size_t)(colon - value) : strlen(value);
	struct config_bind b = { .read_only = read_only };
	struct config_bind *grown;

	if (!is_absolute(value) || !is_absolute(guest) || strchr(guest, ':'))
		return bad(w, "'%s' is not HOST[:GUEST] of absolute paths", show(w, value));
	b.host = strndup(value, host_len);
	b.guest = strdup(guest);
	grown = b.host && b.guest ? realloc(c->binds, (c->nbinds + 1) * sizeof(*c->binds)) : NULL;
	if (!grown) {
		free(b.host);
		free(b.guest);
		return -ENOMEM;
	}
	grown[c->nbinds++] = b;
	c->binds = grown;
	return 0;
}

static int set_bind(const struct config_key *k UMLD_UNUSED, struct instance_config *c,
		    const char *value, struct why *w)
{
	return add_bind(c, value, false, w);
}

static int set_bind_read_only(const struct config_key *k UMLD_UNUSED, struct instance_config *c,
			      const char *value, struct why *w)
{
	return add_bind(c, value, true, w);
}

static int check_min(const struct config_key *k, const char *value, long long v, struct why *w)
{
	if (v < k->min)
		return bad(w, "'%s' is less than %lld", show(w, value), k->min);
	return 0;
}

static int set_size(const struct config_key *k, struct instance_config *c, const char *value,
		    struct why *w)
{
	long long v;
	int r = config_parse_size(value, &v);

	if (r == -ERANGE)
		return bad(w, "'%s' is too large", show(w, value));
	if (r < 0)
		return bad(w, "'%s' is not a size (bytes, with an optional K, M, G or T suffix)",
			   show(w, value));
	r = check_min(k, value, v, w);
	if (r == 0)
		*FIELD(c, k, long long) = v;
	return r;
}

static int set_seconds(const struct config_key *k, struct instance_config *c, const char *value,
		       struct why *w)
{
	long long v;
	int r = config_parse_seconds(value, &v);

	if (r == -ERANGE)
		return bad(w, "'%s' is too large", show(w, value));
	if (r < 0)
		return bad(w, "'%s' is not a duration (seconds, with an optional s, m or h suffix)",
			   show(w, value));
	r = check_min(k, value, v, w);
	if (r == 0)
		*FIELD(c, k, long long) = v;
	return r;
}

/* The field is a long. */
static int set_count(const struct config_key *k, struct instance_config *c, const char *value,
		     struct why *w)
{
	unsigned long long v;
	const char *end;

	if (parse_digits(value, &end, &v) < 0 || *end)
		return bad(w, "'%s' is not a positive integer", show(w, value));
	if (v > LONG_MAX)
		return bad(w, "'%s' is too large", show(w, value));
	if (check_min(k, value, (long long)v, w) < 0)
		return -EINVAL;
	*FIELD(c, k, long) = (long)v;
	return 0;
}

/* [Sandbox]: the policy parses its own keys (the `umld run` flags share
 * them). */
static int set_sandbox(const struct config_key *k, struct instance_config *c, const char *value,
		       struct why *w)
{
	return sandbox_policy_set(&c->sandbox, k->key, value, w->msg, sizeof(w->msg));
}

static const char *const restart_values[] = { "no", "on-failure", NULL };
static const char *const intercept_values[] = { "seccomp", "sysemu", NULL };
static const char *const containerize_values[] = { "auto", "never", "required", NULL };

#define AT(f) offsetof(struct instance_config, f)

/* Every key an instance file may hold. Sections are known by appearing here. */
static const struct config_key config_keys[] = {
	{ .section = "Instance", .key = "Name", .set = set_name,
	  .flags = KEY_REQUIRED | KEY_ONCE, .offset = AT(name) },
	{ .section = "Instance", .key = "Restart", .set = set_choice_index,
	  .offset = AT(restart_on_failure), .choices = restart_values },

	{ .section = "Exec", .key = "Command", .set = set_command,
	  .flags = KEY_REQUIRED | KEY_ONCE, .offset = AT(command) },
	{ .section = "Exec", .key = "Environment", .set = set_environment,
	  .flags = KEY_REPEATABLE, .offset = AT(environment) },
	{ .section = "Exec", .key = "WorkingDirectory", .set = set_path,
	  .offset = AT(working_directory) },
	{ .section = "Exec", .key = "Hostname", .set = set_hostname, .offset = AT(hostname) },
	{ .section = "Exec", .key = "FakeRoot", .set = set_bool, .offset = AT(fake_root) },
	{ .section = "Exec", .key = "VirtualPids", .set = set_bool, .offset = AT(virtual_pids) },

	{ .section = "Files", .key = "Root", .set = set_path,
	  .flags = KEY_REPEATABLE, .offset = AT(roots) },
	{ .section = "Files", .key = "Cow", .set = set_path, .offset = AT(cow) },
	{ .section = "Files", .key = "Bind", .set = set_bind,
	  .flags = KEY_REPEATABLE, .offset = AT(binds) },
	{ .section = "Files", .key = "BindReadOnly", .set = set_bind_read_only,
	  .flags = KEY_REPEATABLE, .offset = AT(binds) },

	{ .section = "Kernel", .key = "Intercept", .set = set_choice_string,
	  .offset = AT(intercept), .choices = intercept_values },
	{ .section = "Kernel", .key = "Containerize", .set = set_choice_string,
	  .offset = AT(containerize), .choices = containerize_values },

	{ .section = "Limits", .key = "Memory", .set = set_size, .offset = AT(memory), .min = 1 },
	{ .section = "Limits", .key = "Tasks", .set = set_count, .offset = AT(tasks), .min = 1 },
	{ .section = "Limits", .key = "CPUTime", .set = set_seconds,
	  .offset = AT(cpu_time), .min = 1 },
	{ .section = "Limits", .key = "OpenFiles", .set = set_count,
	  .offset = AT(open_files), .min = 1 },
	{ .section = "Limits", .key = "FileSize", .set = set_size,
	  .offset = AT(file_size), .min = 0 },

	{ .section = "Sandbox", .key = "Profile", .set = set_sandbox },
	{ .section = "Sandbox", .key = "ReadOnly", .set = set_sandbox, .flags = KEY_REPEATABLE },
	{ .section = "Sandbox", .key = "ReadWrite", .set = set_sandbox, .flags = KEY_REPEATABLE },
	{ .section = "Sandbox", .key = "Hide", .set = set_sandbox, .flags = KEY_REPEATABLE },
	{ .section = "Sandbox", .key = "Network", .set = set_sandbox },
	{ .section = "Sandbox", .key = "Allow", .set = set_sandbox, .flags = KEY_REPEATABLE },
	{ .section = "Sandbox", .key = "Deny", .set = set_sandbox, .flags = KEY_REPEATABLE },
	{ .section = "Sandbox", .key = "Timeout", .set = set_sandbox },
	{ .section = "Sandbox", .key = "AuditLog", .set = set_sandbox },
};

/* The table's own copy of a section name, or NULL if no key lives there. */
static const char *section_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++)
		if (strcmp(config_keys[i].section, name) == 0)
			return config_keys[i].section;
	return NULL;
}

static const struct config_key *key_find(const char *section, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++)
		if (strcmp(config_keys[i].key, key) == 0 &&
		    (!section || strcmp(config_keys[i].section, section) == 0))
			return &config_keys[i];
	return NULL;
}

/* A key's flag name (see config_set_flag). */
static void flag_name(const char *key, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; key[i] && n + 2 < size; i++) {
		bool up = isupper((unsigned char)key[i]);
		bool prev_low = i > 0 && !isupper((unsigned char)key[i - 1]);
		bool acronym_end = i > 0 && isupper((unsigned char)key[i - 1]) && key[i + 1] &&
				   islower((unsigned char)key[i + 1]);

		if (up && i > 0 && (prev_low || acronym_end))
			out[n++] = '-';
		out[n++] = (char)tolower((unsigned char)key[i]);
	}
	out[n] = '\0';
}

int config_set_flag(struct instance_config *c, const char *flag, const char *value,
		    struct umld_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
		const struct config_key *k = &config_keys[i];
		struct why w = { .msg = "" };
		char name[64];
		int r;

		flag_name(k->key, name, sizeof(name));
		if (strcmp(name, flag) != 0)
			continue;
		r = k->set(k, c, value, &w);
		if (r == -ENOMEM)
			return umld_err_set(err, r, "--%s: out of memory", flag);
		if (r < 0)
			return umld_err_usage(err, "--%s: %s", flag, w.msg);
		return 0;
	}
	return -ENOENT;
}

/* ---- the line parser ---- */

struct parse_state {
	const char *name; /* the file, for messages */
	unsigned line;
	const char *section; /* NULL before the first header */
	unsigned first_seen[ARRAY_SIZE(config_keys)]; /* line of a key's first occurrence, 0: none */
	struct instance_config *c;
	struct umld_err *err;
};

static int malformed(struct parse_state *ps, const char *what, const char *text)
{
	struct why w;

	return umld_err_usage(ps->err, "%s:%u: malformed line: %s '%s'", ps->name, ps->line,
			      what, show(&w, text));
}

static int parse_section(struct parse_state *ps, char *s)
{
	size_t n = strlen(s);
	const char *section;

	if (n < 2 || s[n - 1] != ']')
		return malformed(ps, "'[' without a closing ']' in", s);
	if (n == 2)
		return malformed(ps, "empty section name", s);
	s[n - 1] = '\0';
	section = section_find(s + 1);
	if (!section) {
		struct why w;

		return umld_err_usage(ps->err, "%s:%u: [%s]: unknown section", ps->name, ps->line,
				      show(&w, s + 1));
	}
	ps->section = section;
	return 0;
}

static int parse_assignment(struct parse_state *ps, char *s)
{
	char *eq = strchr(s, '=');
	const struct config_key *k, *elsewhere;
	const char *key, *value;
	struct why w = { .msg = "" };
	size_t i;
	int r;

	if (!eq)
		return malformed(ps, "no '=' in", s);
	*eq = '\0';
	key = trim(s);
	value = trim(eq + 1);
	if (!*key)
		return malformed(ps, "no key before '=' in", value);
	if (!ps->section)
		return umld_err_usage(ps->err, "%s:%u: %s: comes before any [Section] header",
				      ps->name, ps->line, show(&w, key));
	k = key_find(ps->section, key);
	if (!k) {
		elsewhere = key_find(NULL, key);
		if (elsewhere)
			return umld_err_usage(ps->err, "%s:%u: %s: unknown key in [%s] (it belongs in [%s])",
					      ps->name, ps->line, key, ps->section,
					      elsewhere->section);
		return umld_err_usage(ps->err, "%s:%u: %s: unknown key in [%s]", ps->name, ps->line,
				      show(&w, key), ps->section);
	}
	i = (size_t)(k - config_keys);
	if ((k->flags & KEY_ONCE) && ps->first_seen[i])
		return umld_err_usage(ps->err, "%s:%u: %s: given twice (first on line %u)", ps->name,
				      ps->line, key, ps->first_seen[i]);
	r = k->set(k, ps->c, value, &w);
	if (r == -ENOMEM)
		return umld_err_set(ps->err, r, "%s:%u: %s: out of memory", ps->name, ps->line, key);
	if (r < 0)
		return umld_err_usage(ps->err, "%s:%u: %s: %s", ps->name, ps->line, key, w.msg);
	if (!ps->first_seen[i])
		ps->first_seen[i] = ps->line;
	return 0;
}

static int parse_line(struct parse_state *ps, char *raw)
{
	char *s = trim(raw);

	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return parse_section(ps, s);
	return parse_assignment(ps, s);
}

static int parse_text(struct parse_state *ps, const char *text, size_t len)
{
	char line[CONFIG_LINE_MAX + 1];
	const char *p = text, *end = text + len;
	int r;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((eol ? eol : end) - p);

		ps->line++;
		if (n > CONFIG_LINE_MAX)
			return umld_err_usage(ps->err, "%s:%u: malformed line: longer than %d bytes",
					      ps->name, ps->line, CONFIG_LINE_MAX);
		if (memchr(p, '\0', n))
			return umld_err_usage(ps->err, "%s:%u: malformed line: contains a NUL byte",
					      ps->name, ps->line);
		memcpy(line, p, n);
		line[n] = '\0';
		p = eol ? eol + 1 : end;
		r = parse_line(ps, line);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++)
		if ((config_keys[i].flags & KEY_REQUIRED) && !ps->first_seen[i])
			return umld_err_usage(ps->err, "%s: [%s] %s: is required", ps->name,
					      config_keys[i].section, config_keys[i].key);
	return 0;
}

static int parse_buffer(const char *name, const char *text, size_t len,
			struct instance_config *out, struct umld_err *err)
{
	struct parse_state ps = { .name = name, .c = out, .err = err };
	int r;

	config_init(out);
	out->path = strdup(name);
	if (!out->path)
		return umld_err_set(err, -ENOMEM, "%s: out of memory", name);
	r = parse_text(&ps, text, len);
	if (r < 0)
		config_free(out);
	return r;
}

/* ---- entry points ---- */

void config_init(struct instance_config *c)
{
	*c = (struct instance_config){
		.memory = -1,
		.file_size = -1,
		.tasks = -1,
		.open_files = -1,
		.cpu_time = -1,
	};
	sandbox_policy_init(&c->sandbox);
}

void config_free(struct instance_config *c)
{
	free(c->path);
	free(c->name);
	config_strv_free(c->command);
	config_strv_free(c->environment);
	free(c->working_directory);
	free(c->hostname);
	config_strv_free(c->roots);
	free(c->cow);
	for (size_t i = 0; i < c->nbinds; i++) {
		free(c->binds[i].host);
		free(c->binds[i].guest);
	}
	free(c->binds);
	free(c->intercept);
	free(c->containerize);
	sandbox_policy_free(&c->sandbox);
	config_init(c);
}

int config_parse_string(const char *name, const char *text, struct instance_config *out,
			struct umld_err *err)
{
	return parse_buffer(name, text, strlen(text), out, err);
}

/* A file that cannot be read is bad input too (exit 2), but the caller still
 * gets the real errno. */
static int cannot_read(const char *path, int code, const char *why, struct umld_err *err)
{
	umld_err_usage(err, "%s: cannot be read: %s", path, why);
	if (err)
		err->code = code;
	return code;
}

/* Reads the whole file: any kind that read(2) works on, so a pipe such as
 * bash's <(...) does too. */
static int read_all(const char *path, char **text, size_t *len, struct umld_err *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	cleanup_free char *buf = NULL;
	size_t used = 0, size = 0;

	if (fd < 0) {
		int e = errno;

		return cannot_read(path, -e, strerror(e), err);
	}
	for (;;) {
		ssize_t n;

		if (used == size) {
			char *grown;

			if (size > CONFIG_FILE_MAX)
				return cannot_read(path, -EFBIG, "larger than 1 MiB", err);
			size = size ? size * 2 : 4096;
			grown = realloc(buf, size + 1);
			if (!grown)
				return umld_err_set(err, -ENOMEM, "%s: out of memory", path);
			buf = grown;
		}
		n = read(fd, buf + used, size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			return cannot_read(path, -e, strerror(e), err);
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > CONFIG_FILE_MAX)
		return cannot_read(path, -EFBIG, "larger than 1 MiB", err);
	buf[used] = '\0';
	*len = used;
	*text = buf;
	buf = NULL;
	return 0;
}

int config_load(const char *path, struct instance_config *out, struct umld_err *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	int r;

	config_init(out);
	r = read_all(path, &text, &len, err);
	if (r < 0)
		return r;
	return parse_buffer(path, text, len, out, err);
}
