// SPDX-License-Identifier: GPL-2.0
/*
 * sklookup.c - owner of struct fp_sk: loads bpf/sk_lookup.bpf.c, fills its
 * range and socket maps with the shared media sockets, and attaches it to
 * the daemon's network namespace through a bpf_link held only by this
 * process (not pinned, as the XDP links are not): whatever ends the daemon,
 * kill -9 included, the kernel detaches it and frees the maps.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* The generated skeleton casts away const: not ours to fix. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "sk_lookup.skel.h"
#pragma GCC diagnostic pop

#include "common/log.h"
#include "fastpath/fastpath.h"

#define sk_warnx(...)	slog(LS_FASTPATH, LL_WARN, __VA_ARGS__)

void
fp_sk_reset(struct fp_sk *sk)
{
	memset(sk, 0, sizeof(*sk));
	sk->link_fd = -1;
}

int
fp_sk_open(struct fp_sk *sk)
{
	struct sk_lookup *skel;
	int err;

	fp_sk_reset(sk);
	skel = sk_lookup__open_and_load();
	if (!skel) {
		err = -errno;
		sk_warnx("cannot load the sk_lookup program: %s", strerror(-err));
		return err;
	}
	sk->skel = skel;
	return 0;
}

int
fp_sk_add(struct fp_sk *sk, const union xr_sa *addr, uint16_t lo, uint16_t hi, int sock_fd)
{
	struct xr_sk_range r;
	__u32 slot = (__u32)sk->nslots;
	__u64 fd = (__u64)sock_fd;
	int err;

	if (!sk->skel)
		return -EBADF;
	if (sk->nslots >= XR_SK_SLOTS)
		return -ENOSPC;
	memset(&r, 0, sizeof(r));
	r.family = addr->sa.sa_family;
	r.lo = lo;
	r.hi = hi;
	if (addr->sa.sa_family == AF_INET)
		memcpy(&r.addr[0], &addr->sin.sin_addr, 4);
	else if (addr->sa.sa_family == AF_INET6)
		memcpy(r.addr, &addr->sin6.sin6_addr, 16);
	else
		return -EINVAL;
	/* The socket first: a range without its socket would pass its packets on. */
	err = bpf_map__update_elem(sk->skel->maps.xr_sk_socks, &slot, sizeof(slot), &fd,
				   sizeof(fd), BPF_ANY);
	if (err) {
		sk_warnx("cannot put the media socket in %s: %s", XR_MAP_SK_SOCKS,
			 strerror(-err));
		return err;
	}
	err = bpf_map__update_elem(sk->skel->maps.xr_sk_ranges, &slot, sizeof(slot), &r,
				   sizeof(r), BPF_ANY);
	if (err) {
		sk_warnx("cannot write %s: %s", XR_MAP_SK_RANGES, strerror(-err));
		return err;
	}
	sk->nslots++;
	return 0;
}

int
fp_sk_skip(struct fp_sk *sk, uint16_t port)
{
	__u32 k = port, one = 1;
	int err;

	if (!sk->skel)
		return -EBADF;
	err = bpf_map__update_elem(sk->skel->maps.xr_sk_skip, &k, sizeof(k), &one, sizeof(one),
				   BPF_ANY);
	if (err)
		sk_warnx("cannot write %s: %s", XR_MAP_SK_SKIP, strerror(-err));
	return err;
}

int
fp_sk_attach(struct fp_sk *sk)
{
	int ns, fd, err;

	if (!sk->skel)
		return -EBADF;
	ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns < 0) {
		err = -errno;
		sk_warnx("cannot open this network namespace: %s", strerror(-err));
		return err;
	}
	fd = bpf_link_create(bpf_program__fd(sk->skel->progs.xr_sk_lookup), ns,
			     BPF_SK_LOOKUP, NULL);
	err = fd < 0 ? -errno : 0;
	close(ns);
	if (err) {
		sk_warnx("cannot attach the sk_lookup program: %s", strerror(-err));
		return err;
	}
	sk->link_fd = fd;
	slog(LS_FASTPATH, LL_INFO, "sk_lookup attached: %d media address%s steered to "
	     "shared sockets", sk->nslots, sk->nslots == 1 ? "" : "es");
	return 0;
}

void
fp_sk_close(struct fp_sk *sk)
{
	if (sk->link_fd >= 0)
		close(sk->link_fd);	/* the only reference: detached */
	if (sk->skel)
		sk_lookup__destroy(sk->skel);
	fp_sk_reset(sk);
}
