/* Unit tests of instance files (umld.conf(5)): every key of a full file, the
 * value parsers the CLI shares, and the exact message of each class of error. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "umld/conffile.h"
#include "unit.h"

/* Parses text as "t.conf" and expects it to fail with exactly msg, as bad
 * input (exit 2), leaving nothing behind in the result. */
static void expect_error(const char *text, const char *msg)
{
	struct instance_config c;
	struct umld_err err = { 0 };

	ck_assert_int_eq(config_parse_string("t.conf", text, &c, &err), -EINVAL);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_int_eq(err.exit_status, 2);
	ck_assert_int_eq(err.code, -EINVAL);
	ck_assert_ptr_null(c.path);
	ck_assert_ptr_null(c.name);
	ck_assert_ptr_null(c.command);
	ck_assert_int_eq(c.memory, -1);
}

static void parse_ok(const char *text, struct instance_config *c)
{
	struct umld_err err = { 0 };
	int r = config_parse_string("t.conf", text, c, &err);

	ck_assert_msg(r == 0, "parse failed (%d): %s", r, err.msg);
}

static void assert_strv(char **got, const char *const *want, size_t n)
{
	ck_assert_ptr_nonnull(got);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(got[i] != NULL, "word %zu missing (want '%s')", i, want[i]);
		ck_assert_str_eq(got[i], want[i]);
	}
	ck_assert_msg(got[n] == NULL, "extra word %zu: '%s'", n, got[n]);
}

#define ASSERT_STRV(got, ...)                                                   \
	do {                                                                    \
		static const char *const want_[] = { __VA_ARGS__ };             \
		assert_strv((got), want_, ARRAY_SIZE(want_));                   \
	} while (0)

/* Every key, with comments, blank lines, whitespace around keys and values,
 * a CRLF line and a repeated section header. */
static const char full_file[] =
	"# t.conf: every key\n"
	"; a comment of the other kind\n"
	"\n"
	"[Instance]\n"
	"  Name = web-1.test_x  \n"
	"Restart=on-failure\r\n"
	"\n"
	"[Exec]\n"
	"Command=/usr/bin/env 'a b' \"c \\\"d\\\" \\$e `f`\" g\\ h '' --x=#y $HOME\n"
	"Environment=LANG=C.UTF-8\n"
	"\tEnvironment\t=\tPATH=/usr/bin:/bin=x\n"
	"Environment=EMPTY=\n"
	"Environment=LANG=en_US.UTF-8\n"
	"WorkingDirectory=/srv/www\n"
	"Hostname=web-1.example\n"
	"FakeRoot=yes\n"
	"VirtualPids=On\n"
	"\n"
	"[Files]\n"
	"Root=/var/lib/umld/base\n"
	"Root=/var/lib/umld/python\n"
	"Cow=/var/lib/umld/web-1/cow\n"
	"Bind=/srv/data\n"
	"BindReadOnly=/etc/resolv.conf:/etc/resolv.conf.host\n"
	"Bind = /tmp/host:/tmp/guest \t\n"
	"\n"
	"[Kernel]\n"
	"Intercept=sysemu\n"
	"Containerize=never\n"
	"\n"
	"[Limits]\n"
	"Memory=512M\n"
	"Tasks=64\n"
	"CPUTime=5m\n"
	"OpenFiles=1024\n"
	"FileSize=0\n"
	"[Exec]\n"
	"  # a comment after leading whitespace\n"
	"FakeRoot=yes"; /* no final newline */

static void assert_full(const struct instance_config *c)
{
	ck_assert_str_eq(c->name, "web-1.test_x");
	ck_assert_int_eq(c->restart_on_failure, 1);
	ASSERT_STRV(c->command, "/usr/bin/env", "a b", "c \"d\" $e `f`", "g h", "", "--x=#y",
		    "$HOME");
	/* LANG given again keeps its place with the new value */
	ASSERT_STRV(c->environment, "LANG=en_US.UTF-8", "PATH=/usr/bin:/bin=x", "EMPTY=");
	ck_assert_str_eq(c->working_directory, "/srv/www");
	ck_assert_str_eq(c->hostname, "web-1.example");
	ck_assert(c->fake_root);
	ck_assert(c->virtual_pids);
	ASSERT_STRV(c->roots, "/var/lib/umld/base", "/var/lib/umld/python");
	ck_assert_str_eq(c->cow, "/var/lib/umld/web-1/cow");
	ck_assert_uint_eq(c->nbinds, 3);
	ck_assert_str_eq(c->binds[0].host, "/srv/data");
	ck_assert_str_eq(c->binds[0].guest, "/srv/data");
	ck_assert(!c->binds[0].read_only);
	ck_assert_str_eq(c->binds[1].host, "/etc/resolv.conf");
	ck_assert_str_eq(c->binds[1].guest, "/etc/resolv.conf.host");
	ck_assert(c->binds[1].read_only);
	ck_assert_str_eq(c->binds[2].host, "/tmp/host");
	ck_assert_str_eq(c->binds[2].guest, "/tmp/guest");
	ck_assert(!c->binds[2].read_only);
	ck_assert_str_eq(c->intercept, "sysemu");
	ck_assert_str_eq(c->containerize, "never");
	ck_assert_int_eq(c->memory, 512LL << 20);
	ck_assert_int_eq(c->tasks, 64);
	ck_assert_int_eq(c->cpu_time, 300);
	ck_assert_int_eq(c->open_files, 1024);
	ck_assert_int_eq(c->file_size, 0);
}

START_TEST(test_full_file)
{
	struct instance_config c;

	parse_ok(full_file, &c);
	ck_assert_str_eq(c.path, "t.conf");
	assert_full(&c);
	config_free(&c);
	ck_assert_ptr_null(c.name);
	ck_assert_ptr_null(c.binds);
	ck_assert_uint_eq(c.nbinds, 0);
	ck_assert_int_eq(c.tasks, -1);
	config_free(&c); /* freeing twice is harmless: config_free leaves c empty */
}
END_TEST

START_TEST(test_defaults)
{
	struct instance_config c;

	parse_ok("[Exec]\nCommand=/bin/true\n[Instance]\nName=a\n", &c);
	ck_assert_str_eq(c.name, "a");
	ASSERT_STRV(c.command, "/bin/true");
	ck_assert_int_eq(c.restart_on_failure, 0);
	ck_assert_ptr_null(c.environment);
	ck_assert_ptr_null(c.working_directory);
	ck_assert_ptr_null(c.hostname);
	ck_assert(!c.fake_root);
	ck_assert(!c.virtual_pids);
	ck_assert_ptr_null(c.roots);
	ck_assert_ptr_null(c.cow);
	ck_assert_ptr_null(c.binds);
	ck_assert_uint_eq(c.nbinds, 0);
	ck_assert_ptr_null(c.intercept);
	ck_assert_ptr_null(c.containerize);
	ck_assert_int_eq(c.memory, -1);
	ck_assert_int_eq(c.file_size, -1);
	ck_assert_int_eq(c.tasks, -1);
	ck_assert_int_eq(c.open_files, -1);
	ck_assert_int_eq(c.cpu_time, -1);
	config_free(&c);
}
END_TEST

/* Words as sh(1) would split them, with no expansion at all. */
START_TEST(test_split_words)
{
	static const struct {
		const char *in;
		const char *out[10]; /* NULL-terminated */
	} cases[] = {
		{ "a b  c", { "a", "b", "c" } },
		{ " \tlead and trail \t", { "lead", "and", "trail" } },
		{ "", { NULL } },
		{ "   ", { NULL } },
		{ "''", { "" } },
		{ "\"\"", { "" } },
		{ "a '' b", { "a", "", "b" } },
		{ "'x'\"y\"z", { "xyz" } },
		{ "'a\\b \"c\"'", { "a\\b \"c\"" } },       /* nothing escapes in '' */
		{ "\"a\\b\\n\"", { "a\\b\\n" } },           /* \ before others is kept */
		{ "\"\\\\ \\\" \\$ \\`\"", { "\\ \" $ `" } }, /* the four escapes in "" */
		{ "\"it's\" 'say \"hi\"'", { "it's", "say \"hi\"" } },
		{ "a\\ b \\'c \\\\", { "a b", "'c", "\\" } },
		{ "$HOME ~ *.c `id` $(id) a;b c|d #e >f",
		  { "$HOME", "~", "*.c", "`id`", "$(id)", "a;b", "c|d", "#e", ">f" } },
		{ "a\\\nb \"c\\\nd\" 'e\\\nf'", { "ab", "cd", "e\\\nf" } }, /* continuations */
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "'abc", "unterminated single quote" },
		{ "a 'b'c'", "unterminated single quote" },
		{ "\"abc", "unterminated double quote" },
		{ "\"abc\\\"", "unterminated double quote" },
		{ "abc\\", "ends with a lone backslash" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char **v = NULL;
		size_t n = 0;

		ck_assert_msg(config_split_words(cases[i].in, &v) == 0, "case %zu", i);
		while (cases[i].out[n])
			n++;
		assert_strv(v, cases[i].out, n);
		config_strv_free(v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char **v = (char **)1;
		const char *why = NULL;

		ck_assert_int_eq(config_split_words(bad[i].in, &v), -EINVAL);
		ck_assert_ptr_eq(v, (char **)1); /* untouched on failure */
		ck_assert_int_eq(config_split_words_why(bad[i].in, &v, &why), -EINVAL);
		ck_assert_str_eq(why, bad[i].why);
	}
}
END_TEST

START_TEST(test_parse_size)
{
	static const struct {
		const char *in;
		long long want;
	} good[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "007", 7 },
		{ "1K", 1024 },
		{ "512M", 512LL << 20 },
		{ "2G", 2LL << 30 },
		{ "3T", 3LL << 40 },
		{ "8388607T", 8388607LL << 40 }, /* the largest T that fits */
		{ "9223372036854775807", LLONG_MAX },
	};
	static const char *const invalid[] = {
		"", "M", "1.5G", "-1", "+1", " 1", "1 ", "1 K", "1k", "1KB", "0x10", "1P",
		"99999999999999999999999Q",
	};
	static const char *const too_large[] = {
		"8388608T", "9223372036854775808", "99999999999999999999999", "9007199254740992K",
	};
	long long v;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		v = -2;
		ck_assert_msg(config_parse_size(good[i].in, &v) == 0, "'%s'", good[i].in);
		ck_assert_int_eq(v, good[i].want);
	}
	for (size_t i = 0; i < ARRAY_SIZE(invalid); i++) {
		v = -2;
		ck_assert_msg(config_parse_size(invalid[i], &v) == -EINVAL, "'%s'", invalid[i]);
		ck_assert_int_eq(v, -2);
	}
	for (size_t i = 0; i < ARRAY_SIZE(too_large); i++)
		ck_assert_msg(config_parse_size(too_large[i], &v) == -ERANGE, "'%s'", too_large[i]);
}
END_TEST

START_TEST(test_parse_seconds)
{
	static const struct {
		const char *in;
		long long want;
	} good[] = {
		{ "0", 0 }, { "90", 90 }, { "10s", 10 }, { "5m", 300 }, { "2h", 7200 },
	};
	static const char *const invalid[] = { "", "s", "1d", "1m30s", "5M", "1.5h", "-5", "5 m" };
	long long v;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		ck_assert_msg(config_parse_seconds(good[i].in, &v) == 0, "'%s'", good[i].in);
		ck_assert_int_eq(v, good[i].want);
	}
	for (size_t i = 0; i < ARRAY_SIZE(invalid); i++)
		ck_assert_msg(config_parse_seconds(invalid[i], &v) == -EINVAL, "'%s'", invalid[i]);
	ck_assert_int_eq(config_parse_seconds("2562047788015216h", &v), -ERANGE);
	ck_assert_int_eq(config_parse_seconds("2562047788015215h", &v), 0);
}
END_TEST

START_TEST(test_parse_bool)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES", "True", "oN" };
	static const char *const no[] = { "no", "false", "off", "0", "NO", "False", "OFF" };
	static const char *const invalid[] = { "", "y", "n", "2", "enable", "yes ", "01" };
	bool b;

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		b = false;
		ck_assert_msg(config_parse_bool(yes[i], &b) == 0 && b, "'%s'", yes[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
		b = true;
		ck_assert_msg(config_parse_bool(no[i], &b) == 0 && !b, "'%s'", no[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(invalid); i++) {
		b = true;
		ck_assert_msg(config_parse_bool(invalid[i], &b) == -EINVAL && b, "'%s'", invalid[i]);
	}
}
END_TEST

/* A key that may appear once but appears again: the last one wins. */
START_TEST(test_last_wins)
{
	struct instance_config c;

	parse_ok("[Instance]\nName=a\nRestart=on-failure\nRestart=no\n"
		 "[Exec]\nCommand=/bin/true\nHostname=first\nHostname=second\n"
		 "WorkingDirectory=/a\nWorkingDirectory=/b\nFakeRoot=yes\nFakeRoot=no\n"
		 "[Files]\nCow=/c1\nCow=/c2\n"
		 "[Kernel]\nIntercept=seccomp\nIntercept=sysemu\n"
		 "Containerize=required\nContainerize=auto\n"
		 "[Limits]\nMemory=1G\nMemory=2K\nTasks=5\nTasks=6\nCPUTime=1h\nCPUTime=1\n"
		 "OpenFiles=10\nOpenFiles=20\nFileSize=1T\nFileSize=3\n",
		 &c);
	ck_assert_int_eq(c.restart_on_failure, 0);
	ck_assert_str_eq(c.hostname, "second");
	ck_assert_str_eq(c.working_directory, "/b");
	ck_assert(!c.fake_root);
	ck_assert_str_eq(c.cow, "/c2");
	ck_assert_str_eq(c.intercept, "sysemu");
	ck_assert_str_eq(c.containerize, "auto");
	ck_assert_int_eq(c.memory, 2048);
	ck_assert_int_eq(c.tasks, 6);
	ck_assert_int_eq(c.cpu_time, 1);
	ck_assert_int_eq(c.open_files, 20);
	ck_assert_int_eq(c.file_size, 3);
	config_free(&c);
}
END_TEST

/* Name= and Command= are the exception: a second one is an error, wherever
 * it is. */
START_TEST(test_duplicate_once)
{
	expect_error("[Instance]\nName=a\n[Exec]\nCommand=x\n[Instance]\nName=b\n",
		     "t.conf:6: Name: given twice (first on line 2)");
	expect_error("[Instance]\nName=a\n[Exec]\nCommand=x\nCommand=x\n",
		     "t.conf:5: Command: given twice (first on line 4)");
}
END_TEST

/* ---- one test per class of error ---- */

START_TEST(test_error_unknown_section)
{
	expect_error("[Instance]\nName=a\n[Network]\nMode=nat\n", "t.conf:3: [Network]: unknown section");
	/* section names are case-sensitive and taken as written */
	expect_error("[exec]\n", "t.conf:1: [exec]: unknown section");
	expect_error("[ Exec ]\n", "t.conf:1: [ Exec ]: unknown section");
}
END_TEST

START_TEST(test_error_unknown_key)
{
	expect_error("[Instance]\nName=a\n[Exec]\nColour=blue\n",
		     "t.conf:4: Colour: unknown key in [Exec]");
	expect_error("[Exec]\ncommand=/bin/sh\n", "t.conf:2: command: unknown key in [Exec]");
	expect_error("[Exec]\nMemory=1G\n",
		     "t.conf:2: Memory: unknown key in [Exec] (it belongs in [Limits])");
}
END_TEST

START_TEST(test_error_key_before_section)
{
	expect_error("# comment\n\nName=a\n[Instance]\n",
		     "t.conf:3: Name: comes before any [Section] header");
}
END_TEST

START_TEST(test_error_bad_value)
{
	expect_error("[Instance]\nName=a\n[Limits]\nMemory=12Q\n",
		     "t.conf:4: Memory: '12Q' is not a size (bytes, with an optional K, M, G or T "
		     "suffix)");
}
END_TEST

START_TEST(test_error_relative_path)
{
	expect_error("[Files]\nRoot=/ok\nRoot=var/lib/umld\n",
		     "t.conf:3: Root: 'var/lib/umld' is not an absolute path");
	expect_error("[Exec]\nWorkingDirectory=.\n",
		     "t.conf:2: WorkingDirectory: '.' is not an absolute path");
	expect_error("[Files]\nBind=/a:b\n",
		     "t.conf:2: Bind: '/a:b' is not HOST[:GUEST] of absolute paths");
	/* only the ends of a value are trimmed: " /b" is not absolute */
	expect_error("[Files]\nBind=/a : /b\n",
		     "t.conf:2: Bind: '/a : /b' is not HOST[:GUEST] of absolute paths");
}
END_TEST

START_TEST(test_error_missing_required)
{
	expect_error("[Exec]\nCommand=/bin/sh\n", "t.conf: [Instance] Name: is required");
	expect_error("[Instance]\nName=a\n", "t.conf: [Exec] Command: is required");
	expect_error("", "t.conf: [Instance] Name: is required");
}
END_TEST

START_TEST(test_error_malformed_no_equals)
{
	expect_error("[Instance]\nName web\n", "t.conf:2: malformed line: no '=' in 'Name web'");
	expect_error("[Instance]\n = web\n", "t.conf:2: malformed line: no key before '=' in 'web'");
}
END_TEST

START_TEST(test_error_malformed_section)
{
	expect_error("[Instance\nName=a\n",
		     "t.conf:1: malformed line: '[' without a closing ']' in '[Instance'");
	expect_error("[Instance]\nName=a\n[Exec] Command=x\n",
		     "t.conf:3: malformed line: '[' without a closing ']' in '[Exec] Command=x'");
	expect_error("\n[]\n", "t.conf:2: malformed line: empty section name '[]'");
}
END_TEST

/* [Sandbox]: every key, what each keeps, and the errors naming the line. */
START_TEST(test_sandbox)
{
	struct instance_config c;

	parse_ok("[Instance]\nName=a\n[Exec]\nCommand=true\n[Sandbox]\nProfile=strict\n"
		 "ReadOnly=/etc\nReadWrite=/tmp\nHide=/etc/passwd\nNetwork=loopback\n"
		 "Allow=ptrace\nDeny=mkdir:EACCES, rmdir\nTimeout=2m\nAuditLog=-\n",
		 &c);
	ck_assert_int_eq(c.sandbox.profile, SB_PROFILE_STRICT);
	ck_assert_int_eq((int)c.sandbox.nread_only, 1);
	ck_assert_str_eq(c.sandbox.read_only[0], "/etc");
	ck_assert_str_eq(c.sandbox.read_write[0], "/tmp");
	ck_assert_str_eq(c.sandbox.hide[0], "/etc/passwd");
	ck_assert_int_eq(c.sandbox.network, SB_NET_LOOPBACK);
	ck_assert_int_eq((int)c.sandbox.nrules, 3);
	ck_assert_str_eq(c.sandbox.rules[0].name, "ptrace");
	ck_assert_int_eq(c.sandbox.rules[0].error, 0);
	ck_assert_str_eq(c.sandbox.rules[1].name, "mkdir");
	ck_assert_int_eq(c.sandbox.rules[1].error, EACCES);
	ck_assert_str_eq(c.sandbox.rules[2].name, "rmdir");
	ck_assert_int_eq(c.sandbox.rules[2].error, EPERM);
	ck_assert_int_eq(c.sandbox.timeout, 120);
	ck_assert_str_eq(c.sandbox.audit, "-");
	config_free(&c);
	ck_assert_int_eq(c.sandbox.nrules, 0);

	expect_error("[Sandbox]\nNetwork=wifi\n",
		     "t.conf:2: Network: 'wifi' is not none, loopback or host");
	expect_error("[Sandbox]\n\nDeny=mkdri\n",
		     "t.conf:3: Deny: 'mkdri' is not a system call umld knows");
	expect_error("[Sandbox]\nDeny=mkdir:EWHAT\n",
		     "t.conf:2: Deny: 'EWHAT' is not an errno name (such as EPERM or EACCES)");
	expect_error("[Sandbox]\nHide=/nonexistent/umld-unit\n",
		     "t.conf:2: Hide: '/nonexistent/umld-unit' does not exist");
	expect_error("[Sandbox]\nReadOnly=etc\n", "t.conf:2: ReadOnly: 'etc' is not an absolute path");
	expect_error("[Sandbox]\nTimeout=0\n",
		     "t.conf:2: Timeout: '0' is not a duration (seconds, with an optional s, m or h "
		     "suffix, at least 1)");
}
END_TEST

START_TEST(test_error_long_line)
{
	size_t n = CONFIG_LINE_MAX + 64;
	char *text = malloc(n);
	struct instance_config c;
	struct umld_err err = { 0 };

	ck_assert_ptr_nonnull(text);
	/* a line of exactly CONFIG_LINE_MAX bytes is fine... */
	memset(text, 0, n);
	strcpy(text, "[Instance]\nName=a\n[Exec]\nCommand=/bin/echo ");
	memset(text + strlen(text), 'x', CONFIG_LINE_MAX - strlen("Command=/bin/echo "));
	strcat(text, "\n");
	ck_assert_int_eq(config_parse_string("t.conf", text, &c, &err), 0);
	ck_assert_uint_eq(strlen(c.command[1]), CONFIG_LINE_MAX - strlen("Command=/bin/echo "));
	config_free(&c);
	/* ...one byte more is not */
	text[strlen(text) - 1] = 'x';
	strcat(text, "\n");
	expect_error(text, "t.conf:4: malformed line: longer than 4096 bytes");
	free(text);
}
END_TEST

START_TEST(test_error_unreadable)
{
	struct instance_config c;
	struct umld_err err = { 0 };

	ck_assert_int_eq(config_load("/nonexistent/umld/t.conf", &c, &err), -ENOENT);
	ck_assert_str_eq(err.msg, "/nonexistent/umld/t.conf: cannot be read: No such file or directory");
	ck_assert_int_eq(err.exit_status, 2);
	ck_assert_int_eq(err.code, -ENOENT);
	ck_assert_ptr_null(c.name);

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(config_load("/", &c, &err), -EISDIR);
	ck_assert_str_eq(err.msg, "/: cannot be read: Is a directory");
	ck_assert_int_eq(err.exit_status, 2);
}
END_TEST

/* Every way a value can be wrong, one kind of value after another. */
static const struct {
	const char *text, *msg;
} bad_values[] = {
	{ "[Instance]\nName=-web", "t.conf:2: Name: '-web' is not a valid name "
				   "(1 to 64 of A-Z a-z 0-9 _ . -, not starting with '.' or '-')" },
	{ "[Instance]\nName=.web", "t.conf:2: Name: '.web' is not a valid name "
				   "(1 to 64 of A-Z a-z 0-9 _ . -, not starting with '.' or '-')" },
	{ "[Instance]\nName=", "t.conf:2: Name: '' is not a valid name "
			       "(1 to 64 of A-Z a-z 0-9 _ . -, not starting with '.' or '-')" },
	{ "[Instance]\nName=a/b", "t.conf:2: Name: 'a/b' is not a valid name "
				  "(1 to 64 of A-Z a-z 0-9 _ . -, not starting with '.' or '-')" },
	{ "[Instance]\nName=a b", "t.conf:2: Name: 'a b' is not a valid name "
				  "(1 to 64 of A-Z a-z 0-9 _ . -, not starting with '.' or '-')" },
	{ "[Instance]\nName=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "t.conf:2: Name: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is not a "
	  "valid name (1 to 64 of A-Z a-z 0-9 _ . -, not starting with '.' or '-')" },
	{ "[Instance]\nRestart=always", "t.conf:2: Restart: 'always' is not one of: no, on-failure" },
	{ "[Exec]\nCommand=", "t.conf:2: Command: is empty" },
	{ "[Exec]\nCommand=  ''  ", "t.conf:2: Command: the program name is empty" },
	{ "[Exec]\nCommand=echo 'a", "t.conf:2: Command: unterminated single quote" },
	{ "[Exec]\nCommand=echo \"a", "t.conf:2: Command: unterminated double quote" },
	{ "[Exec]\nCommand=echo a\\", "t.conf:2: Command: ends with a lone backslash" },
	{ "[Exec]\nEnvironment=1A=b",
	  "t.conf:2: Environment: '1A=b' is not NAME=VALUE with a valid variable name" },
	{ "[Exec]\nEnvironment=NOVALUE",
	  "t.conf:2: Environment: 'NOVALUE' is not NAME=VALUE with a valid variable name" },
	{ "[Exec]\nEnvironment==x",
	  "t.conf:2: Environment: '=x' is not NAME=VALUE with a valid variable name" },
	{ "[Exec]\nEnvironment=A-B=c",
	  "t.conf:2: Environment: 'A-B=c' is not NAME=VALUE with a valid variable name" },
	{ "[Exec]\nHostname=a b", "t.conf:2: Hostname: 'a b' is not a valid hostname "
				  "(1 to 64 bytes, no '/', whitespace or control characters)" },
	{ "[Exec]\nHostname=a/b", "t.conf:2: Hostname: 'a/b' is not a valid hostname "
				  "(1 to 64 bytes, no '/', whitespace or control characters)" },
	{ "[Exec]\nHostname=", "t.conf:2: Hostname: '' is not a valid hostname "
			       "(1 to 64 bytes, no '/', whitespace or control characters)" },
	{ "[Exec]\nFakeRoot=maybe",
	  "t.conf:2: FakeRoot: 'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)" },
	{ "[Exec]\nVirtualPids=",
	  "t.conf:2: VirtualPids: '' is not a boolean (yes/no, true/false, on/off, 1/0)" },
	{ "[Files]\nCow=cow", "t.conf:2: Cow: 'cow' is not an absolute path" },
	{ "[Files]\nRoot=", "t.conf:2: Root: '' is not an absolute path" },
	{ "[Files]\nBind=a", "t.conf:2: Bind: 'a' is not HOST[:GUEST] of absolute paths" },
	{ "[Files]\nBind=/a:/b:ro",
	  "t.conf:2: Bind: '/a:/b:ro' is not HOST[:GUEST] of absolute paths" },
	{ "[Files]\nBindReadOnly=/a:",
	  "t.conf:2: BindReadOnly: '/a:' is not HOST[:GUEST] of absolute paths" },
	{ "[Kernel]\nIntercept=ptrace",
	  "t.conf:2: Intercept: 'ptrace' is not one of: seccomp, sysemu" },
	{ "[Kernel]\nContainerize=yes",
	  "t.conf:2: Containerize: 'yes' is not one of: auto, never, required" },
	{ "[Limits]\nMemory=0", "t.conf:2: Memory: '0' is less than 1" },
	{ "[Limits]\nMemory=1.5G",
	  "t.conf:2: Memory: '1.5G' is not a size (bytes, with an optional K, M, G or T suffix)" },
	{ "[Limits]\nFileSize=99999999T", "t.conf:2: FileSize: '99999999T' is too large" },
	{ "[Limits]\nTasks=0", "t.conf:2: Tasks: '0' is less than 1" },
	{ "[Limits]\nTasks=-1", "t.conf:2: Tasks: '-1' is not a positive integer" },
	{ "[Limits]\nOpenFiles=1K", "t.conf:2: OpenFiles: '1K' is not a positive integer" },
	{ "[Limits]\nOpenFiles=99999999999999999999",
	  "t.conf:2: OpenFiles: '99999999999999999999' is too large" },
	{ "[Limits]\nCPUTime=1d",
	  "t.conf:2: CPUTime: '1d' is not a duration (seconds, with an optional s, m or h suffix)" },
	{ "[Limits]\nCPUTime=0", "t.conf:2: CPUTime: '0' is less than 1" },
};

START_TEST(test_bad_value)
{
	expect_error(bad_values[_i].text, bad_values[_i].msg);
}
END_TEST

/* A long value is cut in the message, which keeps what is wrong. */
START_TEST(test_long_value_message)
{
	char text[300] = "[Exec]\nWorkingDirectory=";

	memset(text + strlen(text), 'd', 200);
	/* 76 of the 200 bytes, then "..." */
	expect_error(text, "t.conf:2: WorkingDirectory: '"
			   "dddddddddddddddddddddddddddddddddddddd"
			   "dddddddddddddddddddddddddddddddddddddd...' is not an absolute path");
}
END_TEST

/* config_load reads a real file; a NUL byte in it is a malformed line. */
START_TEST(test_load_file)
{
	char dir[] = "/tmp/check_config.XXXXXX";
	char path[64];
	struct instance_config c;
	struct umld_err err = { 0 };
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/full.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(full_file, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(config_load(path, &c, &err), 0);
	ck_assert_str_eq(c.path, path);
	assert_full(&c);
	config_free(&c);

	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fwrite("[Instance]\nName=a\nNa\0me=b\n", 1, 26, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(config_load(path, &c, &err), -EINVAL);
	ck_assert_int_eq(err.exit_status, 2);
	ck_assert(strncmp(err.msg, path, strlen(path)) == 0);
	ck_assert_str_eq(err.msg + strlen(path), ":3: malformed line: contains a NUL byte");
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The example files of etc/examples all parse and say what they should. */
START_TEST(test_examples)
{
	const char *srcdir = getenv("UMLD_SRCDIR");
	char path[PATH_MAX];
	struct instance_config c;
	struct umld_err err = { 0 };

	if (!srcdir || !*srcdir) {
		printf("check_config: UMLD_SRCDIR is not set: not checking etc/examples\n");
		return;
	}

	snprintf(path, sizeof(path), "%s/etc/examples/shell.conf", srcdir);
	ck_assert_msg(config_load(path, &c, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(c.name, "shell");
	ASSERT_STRV(c.command, "/bin/bash");
	ASSERT_STRV(c.roots, "/"); /* the host's root */
	ck_assert_str_eq(c.cow, "/var/lib/umld/shell/cow"); /* its changes, never the host's */
	ck_assert_str_eq(c.hostname, "umld-shell");
	ck_assert(c.virtual_pids);
	ck_assert(c.fake_root);
	config_free(&c);

	snprintf(path, sizeof(path), "%s/etc/examples/busybox.conf", srcdir);
	ck_assert_msg(config_load(path, &c, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(c.name, "busybox");
	ASSERT_STRV(c.command, "/bin/sh");
	ASSERT_STRV(c.roots, "/var/lib/umld/busybox/root");
	config_free(&c);

	snprintf(path, sizeof(path), "%s/etc/examples/service.conf", srcdir);
	ck_assert_msg(config_load(path, &c, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(c.name, "web");
	ASSERT_STRV(c.command, "/usr/bin/python3", "-m", "http.server", "8080", "--bind",
		    "127.0.0.1");
	ck_assert_int_eq(c.restart_on_failure, 1);
	ck_assert_str_eq(c.working_directory, "/usr/share/doc");
	ck_assert_uint_eq(c.nbinds, 0);
	ck_assert_int_eq(c.memory, 256LL << 20);
	ck_assert_int_eq(c.tasks, 32);
	ck_assert_int_eq(c.open_files, 256);
	ck_assert_int_eq(c.file_size, 16LL << 20);
	ck_assert_int_eq(c.cpu_time, -1);
	config_free(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("instance files");

	tcase_add_test(tc, test_full_file);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_split_words);
	tcase_add_test(tc, test_parse_size);
	tcase_add_test(tc, test_parse_seconds);
	tcase_add_test(tc, test_parse_bool);
	tcase_add_test(tc, test_last_wins);
	tcase_add_test(tc, test_duplicate_once);
	tcase_add_test(tc, test_error_unknown_section);
	tcase_add_test(tc, test_error_unknown_key);
	tcase_add_test(tc, test_error_key_before_section);
	tcase_add_test(tc, test_error_bad_value);
	tcase_add_test(tc, test_error_relative_path);
	tcase_add_test(tc, test_error_missing_required);
	tcase_add_test(tc, test_error_malformed_no_equals);
	tcase_add_test(tc, test_error_malformed_section);
	tcase_add_test(tc, test_error_long_line);
	tcase_add_test(tc, test_sandbox);
	tcase_add_test(tc, test_error_unreadable);
	tcase_add_loop_test(tc, test_bad_value, 0, ARRAY_SIZE(bad_values));
	tcase_add_test(tc, test_long_value_message);
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_examples);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
