/* What every unit test program's main ends with. */
#ifndef UMLD_TESTS_UNIT_H
#define UMLD_TESTS_UNIT_H

#include <check.h>
#include <stdlib.h>

/* Runs suite s (Check forks each test) and gives main's exit status. */
static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
