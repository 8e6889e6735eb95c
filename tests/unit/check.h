/* A tiny assertion helper for the unit tests: no framework, no setjmp. A
 * failed check prints where and what to stderr and the test carries on, so
 * one run shows every fault; check_finish() turns the count into the exit
 * status meson expects. Include it from exactly one .c file per program. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <string.h>

static int check_count, check_failed;
static const char *check_case; /* table row under test, printed on failure */

/* Records one check; the macros below pass the expression text along. */
static int check_record(int ok, const char *file, int line, const char *expr)
{
	check_count++;
	if (!ok) {
		check_failed++;
		fprintf(stderr, "%s:%d: FAIL: %s%s%s%s\n", file, line, expr,
			check_case ? " [" : "", check_case ? check_case : "",
			check_case ? "]" : "");
	}
	return ok;
}

#define CHECK(cond) check_record(!!(cond), __FILE__, __LINE__, #cond)

/* Evaluates each argument once and prints both values on failure. */
#define CHECK_EQ_INT(a, b) do { \
	long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
	if (!check_record(check_a_ == check_b_, __FILE__, __LINE__, #a " == " #b)) \
		fprintf(stderr, "\t%lld != %lld\n", check_a_, check_b_); \
} while (0)

/* NULL is a value here, not a crash: it only equals NULL. */
#define CHECK_STR(a, b) do { \
	const char *check_a_ = (a), *check_b_ = (b); \
	int check_ok_ = check_a_ && check_b_ ? strcmp(check_a_, check_b_) == 0 : \
		check_a_ == check_b_; \
	if (!check_record(check_ok_, __FILE__, __LINE__, #a " == " #b)) \
		fprintf(stderr, "\t\"%s\" != \"%s\"\n", check_a_ ? check_a_ : "(null)", \
			check_b_ ? check_b_ : "(null)"); \
} while (0)

/* Prints the totals; returns 0 when every check passed, else 1. */
static int check_finish(void)
{
	printf("%d checks, %d failed\n", check_count, check_failed);
	return check_failed ? 1 : 0;
}

#endif
