/* SPDX-License-Identifier: GPL-2.0 */
/*
 * addr.h - socket addresses for both families: parse, format, compare, and
 * convert to the 16-byte v4-mapped form of the fast-path maps (flow.h).
 * Every module passes endpoints as union xr_sa; nothing here allocates.
 */
#ifndef XR_ADDR_H
#define XR_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * An IPv4 or IPv6 socket address; sa.sa_family says which.  28 bytes (a
 * sockaddr_in6), not a 128-byte sockaddr_storage: every transaction, call
 * and dialog record keeps several, many thousands of them for their RFC 3261
 * timers (32 s), and the storage's 100 unused bytes each were most of a
 * struct txn.  Nothing here holds another family.
 */
union xr_sa {
	struct sockaddr		sa;
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
};

/* "[v6]:port" or "v4:port" with room to spare. */
#define XR_SA_STRLEN	(INET6_ADDRSTRLEN + 10)

/*
 * Parse "1.2.3.4:5000", "[2001:db8::1]:5000", or, when default_port >= 0,
 * also "1.2.3.4", "[::1]" and "::1" without a port.
 * Returns 0, or -EINVAL with *sa untouched.
 */
int		xr_sa_parse(union xr_sa *sa, const char *s, int default_port);
/* Parse an address alone ("1.2.3.4", "::1", "[::1]"); port set to 0. */
int		xr_sa_parse_ip(union xr_sa *sa, const char *s);
/* Format as "1.2.3.4:5000" / "[::1]:5000" into buf (XR_SA_STRLEN); returns buf. */
const char	*xr_sa_str(const union xr_sa *sa, char *buf, size_t len);
/* Format the address only ("1.2.3.4" / "::1"); returns buf. */
const char	*xr_sa_ipstr(const union xr_sa *sa, char *buf, size_t len);

socklen_t	xr_sa_len(const union xr_sa *sa);
uint16_t	xr_sa_port(const union xr_sa *sa);		/* host order */
void		xr_sa_set_port(union xr_sa *sa, uint16_t port);	/* host order */
bool		xr_sa_is_any(const union xr_sa *sa);		/* 0.0.0.0 or :: */
/* Equal family, address and port / equal family and address. */
bool		xr_sa_eq(const union xr_sa *a, const union xr_sa *b);
bool		xr_sa_ip_eq(const union xr_sa *a, const union xr_sa *b);

/*
 * Map form (flow.h): 16 bytes, IPv4 as ::ffff:a.b.c.d, plus port (network
 * order) and XR_FAM_*.  xr_sa_from_map() returns -EINVAL for an unknown family.
 */
/* The address alone, 16 bytes, v4 as ::ffff:a.b.c.d (the maps' form). */
void		xr_sa_addr16(const union xr_sa *sa, uint8_t addr[16]);
void		xr_sa_to_map(const union xr_sa *sa, uint8_t addr[16], uint16_t *port_be,
			     uint8_t *fam);
int		xr_sa_from_map(union xr_sa *sa, const uint8_t addr[16], uint16_t port_be,
			       uint8_t fam);

#endif /* XR_ADDR_H */
