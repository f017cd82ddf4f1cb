/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * reuseport.h - the ABI of bpf/sip_reuseport.bpf.c, shared with its loader
 * (daemon/sip/balance.c) and tests/unit/test_reuseport.c: the sizes, the
 * reuseport group key, the counters, and the Call-ID scan itself
 * (xr_rp_step), one byte a call, so the kernel runs it under bpf_loop() and
 * the unit test runs the very same code over its own buffers.
 * Only <linux/types.h> types: both compilers include it.
 */
#ifndef XRELAY_REUSEPORT_H
#define XRELAY_REUSEPORT_H

#include <linux/types.h>

#define XR_RP_SCAN		2048	/* payload bytes scanned for the Call-ID at most */
#define XR_RP_BUF		4096	/* scratch bytes: a power of 2 > SCAN + look-ahead */
#define XR_RP_MASK		(XR_RP_BUF - 1)
#define XR_RP_IDMAX		256	/* Call-ID bytes hashed at most */
#define XR_RP_MAX_WORKERS	64	/* = the --workers maximum */
#define XR_RP_GROUPS		16	/* reuseport groups: one per --sip address (XR_MAX_ADDRS) */
#define XR_RP_SOCKS		(XR_RP_GROUPS * XR_RP_MAX_WORKERS)	/* sockarray slots */

/*
 * Which reuseport group (--sip address) a socket belongs to: the key of
 * xr_rp_groups, the value is the group number g; worker w's socket of
 * group g sits at g * XR_RP_MAX_WORKERS + w in xr_rp_socks.  Zero it
 * before filling (hash keys compare every byte).
 */
struct xr_rp_group_key {
	__u32	family;		/* AF_INET (2) or AF_INET6 (10) */
	__u32	port;		/* bound UDP port, host order */
	__u32	addr[4];	/* bound address, network order; IPv4 in addr[0] */
};
_Static_assert(sizeof(struct xr_rp_group_key) == 24, "xr_rp_group_key layout");

/* The per-CPU scratch the datagram's payload is copied into. */
struct xr_rp_scratch {
	__u8	buf[XR_RP_BUF];
};

/* xr_rp_stats slots (PERCPU_ARRAY): what became of each datagram. */
enum xr_rp_cnt {
	XR_RP_CNT_CALLID = 0,	/* worker socket picked by the Call-ID hash */
	XR_RP_CNT_NO_CALLID,	/* no Call-ID in the window: the kernel's hash */
	XR_RP_CNT_NO_SOCKET,	/* the slot picked is empty: the kernel's hash */
	XR_RP_CNT_NO_GROUP,	/* a socket of no known group: the kernel's hash */
	XR_RP_CNT__MAX
};

/* Scan states. */
enum xr_rp_state {
	XR_RP_SEEK = 0,		/* looking for a Call-ID header line */
	XR_RP_VALUE,		/* hashing its value, from .at on */
	XR_RP_FOUND,		/* done: .hash is the Call-ID's */
	XR_RP_NONE,		/* done: no usable Call-ID */
};

/* State of one scan; zero it, set n and cut, then xr_rp_step() i = 0..n. */
struct xr_rp_scan {
	__u32	n;		/* payload bytes in the buffer (<= XR_RP_SCAN) */
	__u32	cut;		/* 1: the datagram is longer than n (a value at the end is cut) */
	__u32	state;		/* enum xr_rp_state */
	__u32	at;		/* XR_RP_VALUE: offset of the value's first byte */
	__u32	hash;		/* FNV-1a (32 bit) of the value so far */
	__u32	len;		/* value bytes hashed */
};

static __inline int
xr_rp_ws(__u8 c)
{
	return c == ' ' || c == '\t';
}

/*
 * One step of the scan at offset i of buf (XR_RP_BUF bytes; every index is
 * masked, so reads past n see stale bytes, never outside the buffer).
 * Finds the first header line "Call-ID" or its compact form "i" (RFC 3261
 * §7.3.3, §20.8; case-insensitive, SP/HT allowed around the colon) before
 * the blank line that ends the headers, and hashes its value up to the
 * first CR, LF, SP or HT (at most XR_RP_IDMAX bytes).  The start line
 * never matches (a header line follows a LF).  Header folding is not
 * followed: such a Call-ID hashes its first line only, the same for every
 * message of the call.  Returns 1 when the scan is over (state FOUND or
 * NONE), 0 to go on with i + 1.  Call with i = n last: the end.
 */
static __inline long
xr_rp_step(struct xr_rp_scan *st, const __u8 *buf, __u32 i)
{
	__u32 p;
	__u8 c;

	if (i >= st->n) {
		/* the end of the window: a value running into it is whole only
		 * when the datagram ends there too */
		st->state = st->state == XR_RP_VALUE && st->len && !st->cut ?
			    XR_RP_FOUND : XR_RP_NONE;
		return 1;
	}
	c = buf[i & XR_RP_MASK];
	if (st->state == XR_RP_VALUE) {
		if (i < st->at)
			return 0;
		if (c == '\r' || c == '\n' || xr_rp_ws(c)) {
			st->state = st->len ? XR_RP_FOUND : XR_RP_NONE;
			return 1;
		}
		st->hash = (st->hash ^ c) * 16777619u;
		if (++st->len >= XR_RP_IDMAX) {
			st->state = XR_RP_FOUND;
			return 1;
		}
		return 0;
	}
	if (c != '\n')
		return 0;
	p = i + 1;
	c = buf[p & XR_RP_MASK];
	if (c == '\r' || c == '\n') {
		st->state = XR_RP_NONE;		/* the headers end: none */
		return 1;
	}
	c |= 0x20;
	if (c == 'c') {
		if ((buf[(p + 1) & XR_RP_MASK] | 0x20) != 'a' ||
		    (buf[(p + 2) & XR_RP_MASK] | 0x20) != 'l' ||
		    (buf[(p + 3) & XR_RP_MASK] | 0x20) != 'l' ||
		    buf[(p + 4) & XR_RP_MASK] != '-' ||
		    (buf[(p + 5) & XR_RP_MASK] | 0x20) != 'i' ||
		    (buf[(p + 6) & XR_RP_MASK] | 0x20) != 'd')
			return 0;
		p += 7;
	} else if (c == 'i') {
		p += 1;
	} else {
		return 0;
	}
	for (int k = 0; k < 4 && xr_rp_ws(buf[p & XR_RP_MASK]); k++)
		p++;
	if (buf[p & XR_RP_MASK] != ':')
		return 0;
	p++;
	for (int k = 0; k < 8 && xr_rp_ws(buf[p & XR_RP_MASK]); k++)
		p++;
	st->state = XR_RP_VALUE;
	st->at = p;
	st->hash = 2166136261u;
	st->len = 0;
	return 0;
}

/*
 * The worker (0..n-1) a Call-ID hash goes to.  FNV-1a's low bits are weak
 * (its lowest is the parity of the value's odd bytes), so the hash is
 * mixed first (MurmurHash3's 32-bit finaliser).
 */
static __inline __u32
xr_rp_worker(__u32 h, __u32 n)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return n ? h % n : 0;
}

#endif /* XRELAY_REUSEPORT_H */
