/*
 * What every unit test program shares: its main(). Check's verbosity comes
 * from CK_VERBOSITY (make check sets "normal"), each test runs in a child
 * of its own unless the program asks otherwise.
 */
#ifndef SSLINSPECT_UNIT_TEST_H
#define SSLINSPECT_UNIT_TEST_H

#include <check.h>
#include <stdlib.h>

#include "attrib.h"

/*
 * Run the tests in this process: for suites whose unchecked fixture state
 * (a temporary directory, a key pool's thread) the tests share.
 */
#define UNIT_TEST_NOFORK	0x1

/* Run suite; the exit status for main. */
static UNUSED int
unit_test_run(Suite *suite, int flags)
{
	SRunner	*sr = srunner_create(suite);
	int	 failed;

	if (flags & UNIT_TEST_NOFORK)
		srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* main() for a program that runs suite_fn()'s suite. */
#define UNIT_TEST_MAIN(suite_fn)					\
int									\
main(void)								\
{									\
	return unit_test_run(suite_fn(), 0);				\
}

#endif
