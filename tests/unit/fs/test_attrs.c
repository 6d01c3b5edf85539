/* test_attrs.c — fchk's pure rules: mode strings, find-style modes, ids, globs, attrs lists, tree scope. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fs/fs_internal.h"
#include "xvids/err.h"
#include "xvids/policy.h"

static void test_mode_string(void **state)
{
	char m[11];

	(void)state;
	xv_fs_mode_string(0100644, m);
	assert_string_equal(m, "-rw-r--r--");
	xv_fs_mode_string(0104755, m);
	assert_string_equal(m, "-rwsr-xr-x");
	xv_fs_mode_string(0102644, m);
	assert_string_equal(m, "-rw-r-Sr--");
	xv_fs_mode_string(0041777, m);
	assert_string_equal(m, "drwxrwxrwt");
	xv_fs_mode_string(0120777, m);
	assert_string_equal(m, "lrwxrwxrwx");
	xv_fs_mode_string(0020620, m);
	assert_string_equal(m, "crw--w----");
	xv_fs_mode_string(0041776, m);
	assert_string_equal(m, "drwxrwxrwT");
}

static void test_ftype(void **state)
{
	enum xv_ftype t;

	(void)state;
	assert_int_equal(xv_fs_mode_type(0100000), XV_FT_REG);
	assert_int_equal(xv_fs_mode_type(0140000), XV_FT_SOCK);
	assert_int_equal(xv_fs_mode_type(0), XV_FT_UNKNOWN);
	assert_int_equal(xv_ftype_parse("symlink", &t), 0);
	assert_int_equal(t, XV_FT_LNK);
	assert_int_equal(xv_ftype_parse("link", &t), -EINVAL);
	assert_string_equal(xv_ftype_name(XV_FT_DIR), "dir");
	assert_int_equal(xv_ftype_char(XV_FT_FIFO), 'p');
}

static void test_mode_match(void **state)
{
	(void)state;
	/* exact permission bits, type bits ignored */
	assert_int_equal(xv_fs_mode_match("0644", 0100644), 1);
	assert_int_equal(xv_fs_mode_match("644", 0100644), 1);
	assert_int_equal(xv_fs_mode_match("0644", 0104644), 0);
	/* /MODE: any of the bits (setuid or setgid) */
	assert_int_equal(xv_fs_mode_match("/6000", 0104755), 1);
	assert_int_equal(xv_fs_mode_match("/6000", 0102755), 1);
	assert_int_equal(xv_fs_mode_match("/6000", 0100755), 0);
	/* -MODE: all of the bits (world-writable) */
	assert_int_equal(xv_fs_mode_match("-0002", 0100666), 1);
	assert_int_equal(xv_fs_mode_match("-0002", 0100664), 0);
	assert_int_equal(xv_fs_mode_match("-0022", 0100662), 1);
	assert_int_equal(xv_fs_mode_match("-0022", 0100642), 0);
	/* errors, never a silent non-match */
	assert_int_equal(xv_fs_mode_match("rwx", 0), -EINVAL);
	assert_int_equal(xv_fs_mode_match("/", 0), -EINVAL);
	assert_int_equal(xv_fs_mode_match("0999", 0), -EINVAL);
	assert_int_equal(xv_fs_mode_match("017777", 0), -EINVAL);
}

static void test_id_match(void **state)
{
	(void)state;
	assert_int_equal(xv_fs_id_match("1000", 1000), 1);
	assert_int_equal(xv_fs_id_match("1000", 0), 0);
	assert_int_equal(xv_fs_id_match("!0", 1000), 1);
	assert_int_equal(xv_fs_id_match("!0", 0), 0);
	assert_int_equal(xv_fs_id_match("root", 0), -EINVAL);
	assert_int_equal(xv_fs_id_match("", 0), -EINVAL);
	assert_int_equal(xv_fs_id_match("!", 0), -EINVAL);
	assert_int_equal(xv_fs_id_match("4294967296", 0), -EINVAL);
}

static void test_glob_and_under(void **state)
{
	(void)state;
	assert_true(xv_fs_glob_match("/www/*", "/www/a/b/shell.php")); /* '*' crosses '/' */
	assert_true(xv_fs_glob_match("*.php", "/www/x.php"));
	assert_false(xv_fs_glob_match("/www/*", "/www"));
	assert_true(xv_fs_glob_match("/usr/bin/[[]", "/usr/bin/["));
	assert_true(xv_fs_path_under("/etc/passwd", "/etc"));
	assert_true(xv_fs_path_under("/etc", "/etc"));
	assert_true(xv_fs_path_under("/etc/x", "/etc/"));
	assert_false(xv_fs_path_under("/etcetera", "/etc"));
	assert_true(xv_fs_path_under("/anything", "/"));
}

static void test_attrs_parse(void **state)
{
	unsigned m;

	(void)state;
	assert_int_equal(xv_fa_parse("perms", &m), 0);
	assert_int_equal(m, XV_FA_TYPE | XV_FA_MODE | XV_FA_UID | XV_FA_GID);
	assert_int_equal(xv_fa_parse("mode,uid,sha256", &m), 0);
	assert_int_equal(m, XV_FA_MODE | XV_FA_UID | XV_FA_SHA256);
	assert_int_equal(xv_fa_parse("perms+size", &m), 0);
	assert_true(m & XV_FA_SIZE);
	assert_int_equal(xv_fa_parse("all", &m), 0);
	assert_true((m & XV_FA_INODE) && (m & XV_FA_NLINK));
	assert_int_equal(xv_fa_parse("mode,colour", &m), -EINVAL);
	assert_non_null(strstr(xv_errmsg(), "colour"));
	assert_int_equal(xv_fa_parse("mode,,uid", &m), -EINVAL);
	for (int i = 0; i < XV_FA_COUNT; i++) {
		assert_int_equal(xv_fa_parse(xv_fa_name(i), &m), 0);
		assert_int_equal(m, 1u << i);
	}
}

static struct xv_policy *pol(const char *text)
{
	struct xv_policy *p = xv_policy_parse(text, strlen(text), "t.pol");

	if (!p)
		fail_msg("policy: %s", xv_errmsg());
	return p;
}

static void test_scope_default(void **state)
{
	struct xv_scope s;
	struct xv_policy *p = pol("process allow comm=sh\nfile expect path=/etc/passwd size=1\n");

	(void)state;
	/* No tree lines: everything but the volatile trees. */
	assert_int_equal(xv_scope_init(&s, p), 0);
	assert_true(s.defaulted);
	assert_int_equal(xv_scope_attrs(&s, "/etc/passwd"), XV_FA_DEFAULT);
	assert_int_equal(xv_scope_attrs(&s, "/"), XV_FA_DEFAULT);
	assert_int_equal(xv_scope_attrs(&s, "/tmp/x"), 0);
	assert_int_equal(xv_scope_attrs(&s, "/proc"), 0);
	assert_int_equal(xv_scope_attrs(&s, "/dev/shm/a"), 0);
	assert_int_equal(xv_scope_attrs(&s, "/development"), XV_FA_DEFAULT);
	xv_scope_free(&s);
	xv_policy_free(p);
	assert_int_equal(xv_scope_init(&s, NULL), 0);
	assert_int_equal(xv_scope_attrs(&s, "/run/x"), 0);
	xv_scope_free(&s);
}

static void test_scope_rules(void **state)
{
	struct xv_scope s;
	struct xv_policy *p = pol("tree include path=/\n"
				  "tree exclude path=/var\n"
				  "tree include path=/var/www attrs=perms\n"
				  "tree exclude path=*.log\n"
				  "tree include path=/etc attrs=mode,sha256\n");

	(void)state;
	assert_int_equal(xv_scope_init(&s, p), 0);
	assert_false(s.defaulted);
	assert_int_equal(xv_scope_attrs(&s, "/bin/sh"), XV_FA_DEFAULT);
	assert_int_equal(xv_scope_attrs(&s, "/var/cache/x"), 0);
	assert_int_equal(xv_scope_attrs(&s, "/var/www/index.html"), XV_FA_PERMS);
	assert_int_equal(xv_scope_attrs(&s, "/var/www/access.log"), 0); /* glob beats dirs */
	assert_int_equal(xv_scope_attrs(&s, "/etc/passwd"), XV_FA_MODE | XV_FA_SHA256);
	assert_int_equal(xv_scope_attrs(&s, "/tmp/x"), XV_FA_DEFAULT); /* not excluded here */
	xv_scope_free(&s);
	xv_policy_free(p);
}

static void test_scope_errors(void **state)
{
	struct xv_scope s;
	struct xv_policy *p;

	(void)state;
	p = pol("tree include path=etc\n");
	assert_int_equal(xv_scope_init(&s, p), -EINVAL);
	assert_non_null(strstr(xv_errmsg(), "t.pol:1"));
	xv_policy_free(p);
	p = pol("tree include path=/\ntree include path=/etc attrs=mode,perm\n");
	assert_int_equal(xv_scope_init(&s, p), -EINVAL);
	assert_non_null(strstr(xv_errmsg(), "t.pol:2"));
	xv_policy_free(p);
	p = pol("tree exclude path=/tmp attrs=mode\n");
	assert_int_equal(xv_scope_init(&s, p), -EINVAL);
	xv_policy_free(p);
	p = pol("tree include path=/www/*\n");
	assert_int_equal(xv_scope_init(&s, p), -EINVAL);
	xv_policy_free(p);
}

static void test_policy_lines(void **state)
{
	struct xv_policy *p;
	const struct xv_policy_entry *e;

	(void)state;
	/* What the manifest writes must load back: quoted paths with spaces, '#', '='. */
	p = pol("file expect path=\"/srv/my file#1=x\" type=file mode=0644 "
		"sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
		"file deny path=/www/* uid=!0 severity=critical\n");
	e = xv_policy_get(p, 0);
	assert_string_equal(xv_policy_value(e, "path"), "/srv/my file#1=x");
	e = xv_policy_get(p, 1);
	assert_string_equal(e->action, "deny");
	assert_string_equal(xv_policy_value(e, "uid"), "!0");
	xv_policy_free(p);
	/* An unknown key on a file line is refused, not ignored. */
	assert_null(xv_policy_parse("file deny path=/x colour=red\n", 28, "t.pol"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_string),     cmocka_unit_test(test_ftype),
		cmocka_unit_test(test_mode_match),      cmocka_unit_test(test_id_match),
		cmocka_unit_test(test_glob_and_under),  cmocka_unit_test(test_attrs_parse),
		cmocka_unit_test(test_scope_default),   cmocka_unit_test(test_scope_rules),
		cmocka_unit_test(test_scope_errors),    cmocka_unit_test(test_policy_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
