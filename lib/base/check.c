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
