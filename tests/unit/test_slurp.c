/*
 * Unit tests for reading a whole file (common/slurp.c): the limit, the
 * messages, files whose size stat does not tell (a pipe, /proc), and that
 * the buffer is the file's size, not the limit's.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slurp.h"
#include "unit_test.h"

static char	dir[] = "/tmp/test_slurp.XXXXXX";

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char	cmd[64];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* DIR/name holding len bytes of a pattern; its path, static. */
static const char *
make_file(const char *name, size_t len)
{
	static char	 path[256];
	FILE		*f;
	size_t		 i;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	for (i = 0; i < len; i++)
		fputc('a' + (int)(i % 26), f);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

START_TEST(slurp_sizes)
{
	static const size_t	 lens[] = { 0, 1, 4095, 4096, 4097, 100000 };
	const char		*path;
	char			*buf, *cause = NULL;
	size_t			 i, j, len = 99;

	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		path = make_file("f", lens[i]);
		buf = slurp_file(path, 100000, &len, &cause);
		ck_assert_msg(buf != NULL, "%zu bytes: %s", lens[i], cause);
		ck_assert_uint_eq(len, lens[i]);
		ck_assert_int_eq(buf[len], '\0');
		for (j = 0; j < len; j++)
			ck_assert_int_eq(buf[j], 'a' + (int)(j % 26));
		free(buf);
	}
}
END_TEST

START_TEST(slurp_limit)
{
	const char	*path = make_file("big", 1001);
	char		*cause = NULL, want[300];
	size_t		 len = 7;

	ck_assert_ptr_null(slurp_file(path, 1000, &len, &cause));
	snprintf(want, sizeof want, "%s: too large", path);
	ck_assert_str_eq(cause, want);
	ck_assert_uint_eq(len, 7);
	free(cause);
}
END_TEST

START_TEST(slurp_missing)
{
	char	*cause = NULL, path[300], want[400];
	size_t	 len;

	snprintf(path, sizeof path, "%s/none", dir);
	ck_assert_ptr_null(slurp_file(path, 1000, &len, &cause));
	snprintf(want, sizeof want, "%s: No such file or directory", path);
	ck_assert_str_eq(cause, want);
	free(cause);
	/* No cause asked for: still NULL, nothing to free. */
	ck_assert_ptr_null(slurp_file(path, 1000, &len, NULL));
}
END_TEST

/* A file of a few hundred bytes takes a buffer of its size, not the limit. */
START_TEST(slurp_buffer_size)
{
	const char	*path = make_file("small", 300);
	char		*buf;
	size_t		 len;

	ck_assert_ptr_nonnull(buf = slurp_file(path, 16 << 20, &len, NULL));
	ck_assert_uint_lt(malloc_usable_size(buf), 4096);
	free(buf);
}
END_TEST

/* A pipe has no size: the buffer grows, and the limit still holds. */
START_TEST(slurp_fifo)
{
	char	path[300], *buf, *cause = NULL;
	size_t	len, i, n[] = { 20000, 20001 };
	pid_t	pid;
	int	st;

	snprintf(path, sizeof path, "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	for (i = 0; i < 2; i++) {
		if ((pid = fork()) == 0) {
			FILE	*f = fopen(path, "w");
			size_t	 j;

			for (j = 0; f != NULL && j < n[i]; j++)
				fputc('x', f);
			_exit(f != NULL && fclose(f) == 0 ? 0 : 1);
		}
		ck_assert_int_gt(pid, 0);
		buf = slurp_file(path, 20000, &len, &cause);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		if (i == 0) {
			ck_assert_msg(buf != NULL, "%s", cause);
			ck_assert_uint_eq(len, 20000);
			ck_assert_uint_eq(strspn(buf, "x"), 20000);
			free(buf);
		} else {
			ck_assert_ptr_null(buf);
			ck_assert_ptr_nonnull(strstr(cause, ": too large"));
			free(cause);
		}
	}
}
END_TEST

/* /proc says 0 bytes and has more. */
START_TEST(slurp_proc)
{
	char	*buf;
	size_t	 len;

	ck_assert_ptr_nonnull(buf = slurp_file("/proc/self/status", 1 << 20,
	    &len, NULL));
	ck_assert_uint_gt(len, 100);
	ck_assert_ptr_nonnull(strstr(buf, "Name:"));
	free(buf);
}
END_TEST

static Suite *
slurp_suite(void)
{
	Suite	*s = suite_create("slurp");
	TCase	*tc = tcase_create("slurp");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, slurp_sizes);
	tcase_add_test(tc, slurp_limit);
	tcase_add_test(tc, slurp_missing);
	tcase_add_test(tc, slurp_buffer_size);
	tcase_add_test(tc, slurp_fifo);
	tcase_add_test(tc, slurp_proc);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(slurp_suite)
