/*
 * netguard.h - which network addresses the hub may connect to on a URL
 * someone else chose (a source's callback_url): never loopback, private
 * (RFC 1918), link-local and cloud metadata (169.254/16, fe80::/10),
 * unique-local (fc00::/7), CGNAT (100.64/10), multicast, unspecified,
 * broadcast and reserved ranges, nor an IPv6 form that carries one of
 * those (IPv4-mapped, IPv4-compatible, NAT64, 6to4) -- unless an admin's
 * allowlist of networks names the address.
 *
 * The same check runs twice: on every address a URL's host resolves to
 * when the URL is stored, and on the very address a connection is opened
 * to (httpc's guard option), so a name that resolves differently later
 * (DNS rebinding) still cannot reach a refused address.
 * Pure apart from getaddrinfo; never logs.
 */
#ifndef HUB_NETGUARD_H
#define HUB_NETGUARD_H

#include <stddef.h>
#include <sys/socket.h>

#define HUB_NETGUARD_MAX	32	/* networks in one allowlist */
#define HUB_NETGUARD_ERR_MAX	160	/* an allowlist's error message */
#define HUB_NETGUARD_WHY_MAX	300	/* why a URL is refused */

enum hub_netguard_err {
	HUB_NETGUARD_OK = 0,
	HUB_NETGUARD_BADLIST,     /* allowlist is not comma-separated CIDRs */
	HUB_NETGUARD_BADURL,      /* no http(s) URL with a host */
	HUB_NETGUARD_UNRESOLVED,  /* the host name does not resolve */
	HUB_NETGUARD_REFUSED,     /* an address is in a refused range */
};

struct hub_netguard_net {
	int		family;     /* AF_INET or AF_INET6 */
	unsigned char	addr[16];
	int		bits;
};

/* The admin's allowlist; a zeroed struct allows nothing extra. */
struct hub_netguard {
	size_t			n;
	struct hub_netguard_net	net[HUB_NETGUARD_MAX];
};

/* Parse "10.0.0.0/8, 127.0.0.1/32, fd00::/8" (a bare address is /32 or
 * /128; empty or NULL is an empty list).  On error err names the entry. */
int	hub_netguard_parse(struct hub_netguard *, const char *list, char *err, size_t errlen);
/* 1 when a connection to this address is allowed. */
int	hub_netguard_addr_ok(const struct hub_netguard *, const struct sockaddr *);
/* Resolve url's host (an address literal in any spelling the resolver
 * accepts, or a name) and check every address; why says what failed
 * without the URL's path.  Refused addresses refuse the URL, even when
 * only one of several is. */
int	hub_netguard_check_url(const struct hub_netguard *, const char *url, char *why,
	    size_t whylen);
/* The destination url names, "host:port" in lower case (the scheme's
 * port when none is given): what per-host limits count.  0, or -1 when
 * url is not an http(s) URL with a host. */
int	hub_netguard_url_target(const char *url, char *out, size_t outlen);

#endif
