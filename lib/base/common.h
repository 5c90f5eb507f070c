/*
 * common.h - macros (and the monotonic clock) every module of libhub shares.
 *
 * HUB_STATIC marks file-local functions that unit tests may reach: they are
 * static in the library proper and external in the copy built for the tests
 * (compiled with -DHUB_UNITTEST).  The module's own header declares the ones
 * the tests call, once, under #ifdef HUB_UNITTEST; tests never copy prototypes.
 * A function that only tests need (a test hook: another log descriptor,
 * freeing what a program keeps until it exits) is HUB_STATIC HUB_UNUSED:
 * no program can call it, and the compiler drops it from theirs.
 */
#ifndef HUB_COMMON_H
#define HUB_COMMON_H

#include <stddef.h>
#include <time.h>

#ifdef HUB_UNITTEST
#define HUB_STATIC
#else
#define HUB_STATIC static
#endif

#define HUB_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define HUB_NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define HUB_UNUSED __attribute__((unused))

/* Room for an integer as decimal text (a statement parameter, a log
 * value) and its NUL: any int64 ("-9223372036854775808" is 20), any int. */
#define HUB_INT64_TEXT_SIZE 24
#define HUB_INT_TEXT_SIZE 16

/* Milliseconds of CLOCK_MONOTONIC: deadlines and elapsed times. */
static inline long long
hub_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
