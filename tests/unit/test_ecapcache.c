/*
 * Unit tests for the eCAP front end's verdict cache (ecapcache.c): what a
 * worker stores, another worker (another process) finds; only blocking
 * verdicts are answered; entries expire; and what the file holds is hashes,
 * never a URL.
 */
#include "config.h"

#include <sys/wait.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecapsvc.h"
#include "slurp.h"
#include "unit_test.h"
#include "verdict.h"

static char	dir[] = "/tmp/test_ecapcache.XXXXXX";

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char	cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

static void
entry(struct vcache_entry *e, enum verdict v, const char *reason,
    const char *incident)
{
	memset(e, 0, sizeof *e);
	e->verdict = v;
	snprintf(e->reason, sizeof e->reason, "%s", reason);
	snprintf(e->incident, sizeof e->incident, "%s", incident);
}

START_TEST(shared_between_processes)
{
	struct vcache_entry	 e;
	char			*cause = NULL, path[200], *text;
	size_t			 len;
	pid_t			 pid;
	int			 st;
	const char		*key =
	    "url https://www.example.test/secret?u=alice";

	/* a worker cuts a download off and stores its verdict, then ends */
	if ((pid = fork()) == 0) {
		if (ecapcache_open(dir, 60, &cause) != 0)
			_exit(2);
		entry(&e, VERDICT_BLOCK_FOUND, "Eicar-Signature",
		    "0123456789abcdef");
		ecapcache_store(key, &e);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(st), 0);

	/* another worker's retry finds it */
	ck_assert_int_eq(ecapcache_open(dir, 60, &cause), 0);
	memset(&e, 0, sizeof e);
	ck_assert(ecapcache_lookup(key, &e));
	ck_assert_int_eq(e.verdict, VERDICT_BLOCK_FOUND);
	ck_assert_str_eq(e.reason, "Eicar-Signature");
	ck_assert_str_eq(e.incident, "0123456789abcdef");
	ck_assert(!ecapcache_lookup("url https://www.example.test/other", &e));

	/* only a blocking verdict is an answer */
	entry(&e, VERDICT_ALLOW, "", "");
	ecapcache_store("url https://pass.example.test/", &e);
	ck_assert(!ecapcache_lookup("url https://pass.example.test/", &e));

	/* the file holds hashes: no URL, no user */
	snprintf(path, sizeof path, "%s/sslinspect-verdicts/cache.mdb", dir);
	ck_assert_ptr_nonnull(text = slurp_file(path, 16 << 20, &len, &cause));
	ck_assert_ptr_null(memmem(text, len, "www.example.test", 16));
	ck_assert_ptr_null(memmem(text, len, "alice", 5));
	ck_assert_ptr_nonnull(memmem(text, len, "Eicar-Signature", 15));
	free(text);
}
END_TEST

START_TEST(entries_expire)
{
	struct vcache_entry	 e;
	char			*cause = NULL;
	pid_t			 pid;
	int			 st;

	if ((pid = fork()) == 0) {
		if (ecapcache_open(dir, 1, &cause) != 0)
			_exit(2);
		entry(&e, VERDICT_BLOCK_POLICY, "card number",
		    "fedcba9876543210");
		ecapcache_store("url https://x.test/", &e);
		if (!ecapcache_lookup("url https://x.test/", &e))
			_exit(3);
		sleep(2);
		_exit(ecapcache_lookup("url https://x.test/", &e) ? 4 : 0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

static Suite *
ecapcache_suite(void)
{
	Suite	*s = suite_create("ecapcache");
	TCase	*tc = tcase_create("core");

	/* each test in a process of its own: the cache opens once */
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, shared_between_processes);
	tcase_add_test(tc, entries_expire);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(ecapcache_suite)
