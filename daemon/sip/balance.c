// SPDX-License-Identifier: GPL-2.0
/*
 * balance.c - owner of the workers' UDP balancer: loads
 * bpf/sip_reuseport.bpf.c (SK_REUSEPORT), puts every worker's UDP socket of
 * each --sip address into its REUSEPORT_SOCKARRAY and attaches the program
 * to each address's SO_REUSEPORT group, so datagrams go to the worker the
 * Call-ID hashes to (one peer's calls over all workers, a call's messages to
 * one).  Without it (no BPF, one worker) the kernel's address hash decides.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* The generated skeleton casts away const: not ours to fix. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "sip_reuseport.skel.h"
#pragma GCC diagnostic pop

#include "common/log.h"
#include "sip/worker.h"
#include "xrelay/reuseport.h"

_Static_assert(XR_RP_CNT__MAX == 4, "sip_tp_balance_stats() in sip/transport.h");
_Static_assert(XR_MAX_ADDRS <= XR_RP_GROUPS, "a reuseport group per --sip address");

static pthread_mutex_t		 rp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sip_reuseport	*rp_skel;	/* under rp_lock; NULL: not balancing */

/* The group key of a bound --sip address (what the program reads off the socket). */
static void
rp_group_key(const union xr_sa *sa, struct xr_rp_group_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = (__u32)sa->sa.sa_family;
	k->port = xr_sa_port(sa);
	if (sa->sa.sa_family == AF_INET)
		memcpy(&k->addr[0], &sa->sin.sin_addr, 4);
	else
		memcpy(k->addr, &sa->sin6.sin6_addr, 16);
}

/* Fill the maps for group g (sip_addrs[g]) and attach the program to it. */
static int
rp_attach_group(struct sip_reuseport *skel, struct sip_worker *ws, int nw, int g)
{
	struct xr_rp_group_key k;
	__u32 grp = (__u32)g;
	int prog = bpf_program__fd(skel->progs.xr_sip_rp);

	rp_group_key(&sip_addrs[g], &k);
	if (bpf_map__update_elem(skel->maps.xr_rp_groups, &k, sizeof(k), &grp, sizeof(grp),
				 BPF_ANY) < 0)
		return -errno;
	for (int w = 0; w < nw; w++) {
		__u32 slot = (__u32)(g * XR_RP_MAX_WORKERS + w);
		__u64 fd = (__u64)ws[w].udp_fd[g];

		if (bpf_map__update_elem(skel->maps.xr_rp_socks, &slot, sizeof(slot), &fd,
					 sizeof(fd), BPF_ANY) < 0)
			return -errno;
	}
	/* one socket of the group attaches it for the whole group */
	if (setsockopt(ws[0].udp_fd[g], SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &prog,
		       sizeof(prog)) < 0)
		return -errno;
	return 0;
}

/*
 * Balance the nw workers' UDP sockets (ws[w].udp_fd[g] bound for every
 * sip_addrs[g]) by Call-ID.  Call once from sip_start(), after every socket
 * is bound.  0, or -errno (nothing attached then; the caller goes on with
 * the kernel's hash).
 */
int
sip_balance_start(struct sip_worker *ws, int nw)
{
	struct sip_reuseport *skel;
	int err, g;

	if (nw < 2 || nw > XR_RP_MAX_WORKERS || sip_naddrs > XR_RP_GROUPS)
		return -EINVAL;
	skel = sip_reuseport__open();
	if (!skel)
		return -errno;
	skel->rodata->nworkers = (__u32)nw;
	err = sip_reuseport__load(skel);
	for (g = 0; g < sip_naddrs && !err; g++)
		err = rp_attach_group(skel, ws, nw, g);
	if (err) {
		/* the groups attached so far: back to the kernel's hash */
		for (int i = 0; i < g; i++)
			setsockopt(ws[0].udp_fd[i], SOL_SOCKET, SO_DETACH_REUSEPORT_BPF,
				   &(int){ 0 }, sizeof(int));
		sip_reuseport__destroy(skel);
		return err;
	}
	pthread_mutex_lock(&rp_lock);
	rp_skel = skel;
	pthread_mutex_unlock(&rp_lock);
	return 0;
}

/* Drop the program and maps (the sockets keep working, by the kernel's hash). */
void
sip_balance_stop(void)
{
	pthread_mutex_lock(&rp_lock);
	if (rp_skel)
		sip_reuseport__destroy(rp_skel);
	rp_skel = NULL;
	pthread_mutex_unlock(&rp_lock);
}

int
sip_tp_balance_stats(uint64_t out[XR_RP_CNT__MAX])
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;

	memset(out, 0, sizeof(uint64_t) * XR_RP_CNT__MAX);
	if (ncpu <= 0)
		return -EINVAL;
	uint64_t vals[ncpu];

	pthread_mutex_lock(&rp_lock);
	if (!rp_skel)
		err = -ENOENT;
	for (__u32 i = 0; i < XR_RP_CNT__MAX && !err; i++) {
		if (bpf_map__lookup_elem(rp_skel->maps.xr_rp_stats, &i, sizeof(i), vals,
					 sizeof(vals), 0) < 0) {
			err = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	pthread_mutex_unlock(&rp_lock);
	return err;
}
