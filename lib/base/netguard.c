/*
 * netguard.c - refused address ranges, the admin's allowlist, and the
 * check of a URL's host.  See netguard.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <curl/curl.h>

#include "base/common.h"
#include "base/netguard.h"

#define NG_ENTRY_MAX	64
#define NG_HOST_MAX	256	/* a host name (253) with room */

/* Ranges a URL chosen by someone else must never reach. */
static const struct { const char *net; int bits; } refused4[] = {
	{ "0.0.0.0", 8 },         /* "this network", 0.0.0.0 */
	{ "10.0.0.0", 8 },        /* RFC 1918 */
	{ "100.64.0.0", 10 },     /* CGNAT (and 100.100.100.200 metadata) */
	{ "127.0.0.0", 8 },       /* loopback */
	{ "169.254.0.0", 16 },    /* link-local, 169.254.169.254 metadata */
	{ "172.16.0.0", 12 },     /* RFC 1918 */
	{ "192.0.0.0", 24 },      /* IETF protocol assignments */
	{ "192.0.2.0", 24 },      /* documentation */
	{ "192.168.0.0", 16 },    /* RFC 1918 */
	{ "198.18.0.0", 15 },     /* benchmarking */
	{ "198.51.100.0", 24 },   /* documentation */
	{ "203.0.113.0", 24 },    /* documentation */
	{ "224.0.0.0", 4 },       /* multicast */
	{ "240.0.0.0", 4 },       /* reserved, 255.255.255.255 broadcast */
};

static const struct { const char *net; int bits; } refused6[] = {
	{ "::", 128 },            /* unspecified */
	{ "::1", 128 },           /* loopback */
	{ "fe80::", 10 },         /* link-local */
	{ "fec0::", 10 },         /* site-local (deprecated) */
	{ "fc00::", 7 },          /* unique-local, fd00:ec2::254 metadata */
	{ "ff00::", 8 },          /* multicast */
	{ "100::", 64 },          /* discard */
	{ "2001:db8::", 32 },     /* documentation */
};

static int
prefix_match(const unsigned char *a, const unsigned char *net, int bits)
{
	int full = bits / 8, rest = bits % 8;
	unsigned char mask;

	if (memcmp(a, net, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (net[full] & mask);
}

static int
in_list(const struct hub_netguard *g, int family, const unsigned char *a)
{
	size_t i;

	for (i = 0; g != NULL && i < g->n; i++)
		if (g->net[i].family == family && prefix_match(a, g->net[i].addr, g->net[i].bits))
			return 1;
	return 0;
}

static int
v4_refused(const unsigned char a[4])
{
	unsigned char net[4];
	size_t i;

	for (i = 0; i < HUB_NELEM(refused4); i++)
		if (inet_pton(AF_INET, refused4[i].net, net) == 1 &&
		    prefix_match(a, net, refused4[i].bits))
			return 1;
	return 0;
}

/* An IPv6 address that carries an IPv4 one: the IPv4 one, in v4. */
static int
v6_embedded_v4(const unsigned char a[16], unsigned char v4[4])
{
	static const unsigned char mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };
	static const unsigned char compat[12] = { 0 };
	static const unsigned char nat64[12] = { 0,0x64,0xff,0x9b, 0,0,0,0, 0,0,0,0 };

	if (memcmp(a, mapped, 12) == 0 || memcmp(a, compat, 12) == 0 ||
	    memcmp(a, nat64, 12) == 0) {
		memcpy(v4, a + 12, 4);
		return 1;
	}
	if (a[0] == 0x20 && a[1] == 0x02) {	/* 6to4 2002:V4ADDR::/48 */
		memcpy(v4, a + 2, 4);
		return 1;
	}
	return 0;
}

static int
v6_refused(const unsigned char a[16])
{
	unsigned char net[16];
	size_t i;

	for (i = 0; i < HUB_NELEM(refused6); i++)
		if (inet_pton(AF_INET6, refused6[i].net, net) == 1 &&
		    prefix_match(a, net, refused6[i].bits))
			return 1;
	return 0;
}

int
hub_netguard_addr_ok(const struct hub_netguard *g, const struct sockaddr *sa)
{
	const unsigned char *a;
	unsigned char v4[4];

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		return in_list(g, AF_INET, a) || !v4_refused(a);
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	a = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (in_list(g, AF_INET6, a))
		return 1;
	/* ::ffff:169.254.169.254 is 169.254.169.254: judged (and allowed) as
	 * the IPv4 address it reaches. */
	if (v6_embedded_v4(a, v4))
		return in_list(g, AF_INET, v4) || (!v4_refused(v4) && !v6_refused(a));
	return !v6_refused(a);
}

/* One "addr[/bits]" entry, white space around it already cut. */
static int
parse_entry(struct hub_netguard_net *n, const char *s, size_t len)
{
	char buf[NG_ENTRY_MAX], *slash, *end;
	long bits;
	int max;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = AF_INET6;
		max = 128;
	} else
		return -1;
	n->bits = max;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		bits = strtol(slash + 1, &end, 10);
		if (*end != '\0' || bits < 0 || bits > max)
			return -1;
		n->bits = (int)bits;
	}
	return 0;
}

int
hub_netguard_parse(struct hub_netguard *g, const char *list, char *err, size_t errlen)
{
	const char *p = list, *q, *e;

	memset(g, 0, sizeof(*g));
	while (p != NULL && *p != '\0') {
		q = p + strcspn(p, ",");
		e = q;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > p) {
			if (g->n >= HUB_NETGUARD_MAX) {
				snprintf(err, errlen, "at most %d networks", HUB_NETGUARD_MAX);
				return HUB_NETGUARD_BADLIST;
			}
			if (parse_entry(&g->net[g->n], p, (size_t)(e - p)) != 0) {
				snprintf(err, errlen, "'%.*s' is not a network (CIDR such as"
				    " 10.1.0.0/16 or fd00::/8)", (int)(e - p > 64 ? 64 : e - p), p);
				return HUB_NETGUARD_BADLIST;
			}
			g->n++;
		}
		p = *q == ',' ? q + 1 : q;
	}
	return HUB_NETGUARD_OK;
}

/* The host exactly as libcurl will read it from url, brackets removed. */
static int
url_host(const char *url, char *host, size_t hostlen)
{
	CURLU *u;
	char *h = NULL, *s;
	size_t n;
	int rc = -1;

	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
		return -1;
	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || h == NULL)
		goto out;
	s = h;
	n = strlen(s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	/* A zone id or a percent-escape would be read differently by the
	 * resolver than by us: refuse rather than guess. */
	if (n == 0 || n >= hostlen || memchr(s, '%', n) != NULL)
		goto out;
	memcpy(host, s, n);
	host[n] = '\0';
	rc = 0;
out:
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

int
hub_netguard_url_target(const char *url, char *out, size_t outlen)
{
	CURLU *u;
	char host[NG_HOST_MAX], *port = NULL;
	size_t i;
	int rc = -1;

	if (url_host(url, host, sizeof(host)) != 0 || (u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
	    (size_t)snprintf(out, outlen, "%s:%s", host, port) < outlen)
		rc = 0;
	for (i = 0; rc == 0 && out[i] != '\0'; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

int
hub_netguard_check_url(const struct hub_netguard *g, const char *url, char *why,
    size_t whylen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[NG_HOST_MAX], addr[INET6_ADDRSTRLEN];
	int rc;

	if (url == NULL || url_host(url, host, sizeof(host)) != 0) {
		snprintf(why, whylen, "must be an http(s) URL with a host name");
		return HUB_NETGUARD_BADURL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* An address literal in any spelling the resolver accepts (2852039166,
	 * 0xa9fea9fe, 0251.0376.0251.0376, 127.1, ::ffff:a9fe:a9fe) is read
	 * here as libcurl will read it, without asking DNS. */
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(host, NULL, &hints, &res) != 0) {
		hints.ai_flags = 0;
		res = NULL;
		if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL) {
			snprintf(why, whylen, "host %.100s does not resolve", host);
			return HUB_NETGUARD_UNRESOLVED;
		}
	}
	rc = HUB_NETGUARD_OK;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (hub_netguard_addr_ok(g, ai->ai_addr))
			continue;
		addr[0] = '\0';
		getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr), NULL, 0,
		    NI_NUMERICHOST);
		snprintf(why, whylen, "must not point at a loopback, private, link-local or"
		    " other internal address (%s); an admin may allow a network with the"
		    " setting callbacks.allow_networks", addr);
		rc = HUB_NETGUARD_REFUSED;
		break;
	}
	freeaddrinfo(res);
	return rc;
}
