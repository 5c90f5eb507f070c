#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/check.h"

int
hub_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hub_check_uuid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != HUB_UUID_TEXT_LEN)
		return 0;
	for (i = 0; i < HUB_UUID_TEXT_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (hub_hexval((unsigned char)s[i]) < 0) {
			return 0;
		}
	}
	return 1;
}

int
hub_check_oneof(const char *s, const char *const *set)
{
	if (s == NULL)
		return 0;
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

int
hub_check_text(const char *s, size_t max, int spaces)
{
	size_t n = s != NULL ? strlen(s) : 0, i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (iscntrl((unsigned char)s[i]) || (!spaces && s[i] == ' '))
			return 0;
	return 1;
}

int
hub_check_slack_user(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0, i;

	if (n < 3 || n > 32 || (s[0] != 'U' && s[0] != 'W'))
		return 0;
	for (i = 1; i < n; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int
hub_problem(struct hub_problem *p, const char *field, const char *message, int ret)
{
	p->field = field;
	snprintf(p->message, sizeof(p->message), "%s", message);
	return ret;
}

int
hub_check_email(const char *s)
{
	static const char atext[] = "!#$%&'*+/=?^_`{|}~-";
	const char *at, *p, *label;
	size_t i, ll;
	int labels = 0, alpha;

	if (s == NULL || strlen(s) > 320 || (at = strchr(s, '@')) == NULL ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	ll = (size_t)(at - s);
	if (ll == 0 || ll > 64 || s[0] == '.' || s[ll - 1] == '.')
		return 0;
	for (i = 0; i < ll; i++) {
		if (isalnum((unsigned char)s[i]) || strchr(atext, s[i]) != NULL)
			continue;
		if (s[i] == '.' && s[i + 1] != '.')
			continue;
		return 0;
	}
	if (strlen(at + 1) > 255)
		return 0;
	for (label = at + 1;; label = p + 1) {
		alpha = 1;
		for (p = label; *p != '\0' && *p != '.'; p++) {
			if (!isalnum((unsigned char)*p) && *p != '-')
				return 0;
			if (!isalpha((unsigned char)*p))
				alpha = 0;
		}
		if (p == label || p - label > 63 || *label == '-' || p[-1] == '-')
			return 0;
		labels++;
		if (*p == '\0')
			break;
	}
	return labels >= 2 && alpha && p - label >= 2;
}

/* ------------------------------------------------------------ dates */

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The number written with exactly n digits at s, -1 when it is not. */
static int
fixed_number(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
hub_check_date_at(const char *s, long long *days)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (s == NULL || (y = fixed_number(s, 4)) < 0 || s[4] != '-' ||
	    (m = fixed_number(s + 5, 2)) < 0 || s[7] != '-' || (d = fixed_number(s + 8, 2)) < 0)
		return 0;
	if (y < 1 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] + (m == 2 && leap(y)))
		return 0;
	*days = days_from_civil(y, m, d);
	return 1;
}

int
hub_check_date(const char *s, long long *days)
{
	long long dummy;

	return s != NULL && strlen(s) == 10 && hub_check_date_at(s, days ? days : &dummy);
}
