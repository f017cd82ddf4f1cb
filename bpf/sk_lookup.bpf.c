// SPDX-License-Identifier: GPL-2.0
/*
 * sk_lookup.bpf.c - SEC("sk_lookup") xr_sk_lookup: every UDP packet for a
 * relay port (a --media address and a port of --ports) goes to that
 * address's one shared media socket, whatever socket (none) holds the port.
 * The relay then reads the port the packet was sent to (IP_ORIGDSTADDR).
 * Other packets are left to the kernel's own lookup.  The tables are
 * include/xrelay/sklookup.h's; the loader is daemon/fastpath/sklookup.c.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

#include "xrelay/sklookup.h"

#define XR_AF_INET	2
#define XR_AF_INET6	10

/* The relay ranges, slot by slot (daemon writes them before attaching). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XR_SK_SLOTS);
	__type(key, __u32);
	__type(value, struct xr_sk_range);
} xr_sk_ranges SEC(".maps");

/* Ports of the range left to the kernel's lookup: the daemon's own SIP sockets. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XR_SK_SKIP_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xr_sk_skip SEC(".maps");

/* The shared socket of each slot. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, XR_SK_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} xr_sk_socks SEC(".maps");

/* Whether the packet's destination address is r's. */
static __always_inline int
addr_match(const struct bpf_sk_lookup *ctx, const struct xr_sk_range *r)
{
	if (ctx->family == XR_AF_INET)
		return ctx->local_ip4 == r->addr[0];
	return ctx->local_ip6[0] == r->addr[0] && ctx->local_ip6[1] == r->addr[1] &&
	       ctx->local_ip6[2] == r->addr[2] && ctx->local_ip6[3] == r->addr[3];
}

SEC("sk_lookup")
int
xr_sk_lookup(struct bpf_sk_lookup *ctx)
{
	/*
	 * Every field read once, unconditionally, at its fixed offset: the
	 * verifier refuses a context pointer the compiler moved, which it does
	 * when a field is read on two branches.
	 */
	__u32 port = ctx->local_port;	/* host order */
	__u32 fam = ctx->family, proto = ctx->protocol, ip4 = ctx->local_ip4;
	__u32 a[4] = { ctx->local_ip6[0], ctx->local_ip6[1], ctx->local_ip6[2],
		       ctx->local_ip6[3] };

	if (proto != IPPROTO_UDP || bpf_map_lookup_elem(&xr_sk_skip, &port))
		return SK_PASS;
	if (fam == XR_AF_INET) {
		a[0] = ip4;
		a[1] = a[2] = a[3] = 0;
	}
	/* Unrolled: a stack key the loop also counts with defeats the verifier. */
#pragma clang loop unroll(full)
	for (__u32 i = 0; i < XR_SK_SLOTS; i++) {
		__u32 key = i;
		struct xr_sk_range *r = bpf_map_lookup_elem(&xr_sk_ranges, &key);
		struct bpf_sock *sk;

		if (!r || r->family != fam || port < r->lo || port > r->hi ||
		    r->addr[0] != a[0] || r->addr[1] != a[1] || r->addr[2] != a[2] ||
		    r->addr[3] != a[3])
			continue;
		sk = bpf_map_lookup_elem(&xr_sk_socks, &key);
		if (!sk)
			return SK_PASS;	/* not there yet: the kernel's lookup */
		/* On failure (socket gone) the kernel's own lookup goes on. */
		bpf_sk_assign(ctx, sk, 0);
		bpf_sk_release(sk);
		return SK_PASS;
	}
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
