// SPDX-License-Identifier: GPL-2.0
/*
 * xr_flows_count.c - what a pinned xrelay flow table (xr_flows, flow.h)
 * holds, for the e2e tests: the number of flows (entries marked
 * XR_FLOW_F_ACTIVE), or with --packets the packets the kernel forwarded,
 * summed over every entry (its CPUs' slots of its generation in the
 * xr_flow_pc pinned beside it).  Reads through read-only mappings of its
 * own; no daemon needed.  `bpftool map dump` of the whole array is tens of
 * MB of JSON at the default --ports.
 *
 *   xr_flows_count [--packets] /sys/fs/bpf/xrelay/xr_flows
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "xrelay/flow.h"
#include "xrelay/maps.h"

/* Map the pinned array at path read-only; NULL after a message. */
static void *
map_pinned(const char *path, __u32 vsz, __u32 *nents, size_t *bytes)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	void *m;
	int fd;

	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.value_size != vsz) {
		fprintf(stderr, "%s: not an xrelay map of this ABI\n", path);
		close(fd);
		return NULL;
	}
	*nents = info.max_entries;
	*bytes = ((size_t)info.max_entries * info.value_size + psz - 1) & ~(psz - 1);
	m = mmap(NULL, *bytes, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		fprintf(stderr, "%s: mmap: %s\n", path, strerror(errno));
		return NULL;
	}
	return m;
}

int
main(int argc, char **argv)
{
	int packets = argc == 3 && strcmp(argv[1], "--packets") == 0;
	const struct xr_flow_ent *t;
	const struct xr_flow_pc *pc = NULL;
	void *tm, *pm = NULL;
	unsigned long long n = 0;
	__u32 nents, npc = 0, ncpus = 0;
	size_t bytes, pcbytes = 0;
	char pcpath[PATH_MAX];
	const char *slash;

	if (argc != 2 + packets) {
		fprintf(stderr, "usage: xr_flows_count [--packets] PINNED_XR_FLOWS\n");
		return 2;
	}
	tm = map_pinned(argv[argc - 1], sizeof(*t), &nents, &bytes);
	if (!tm)
		return 1;
	t = tm;
	if (packets) {
		slash = strrchr(argv[argc - 1], '/');
		snprintf(pcpath, sizeof(pcpath), "%.*s%s",
			 slash ? (int)(slash - argv[argc - 1] + 1) : 0, argv[argc - 1],
			 XR_MAP_FLOW_PC);
		pm = map_pinned(pcpath, sizeof(*pc), &npc, &pcbytes);
		if (!pm || !nents || npc % nents)
			return 1;
		pc = pm;
		ncpus = npc / nents;
	}
	for (__u32 i = 0; i < nents; i++) {
		if (packets) {
			__u32 gen = __atomic_load_n(&t[i].fwd.gen, __ATOMIC_ACQUIRE);

			for (__u32 c = 0; gen && c < ncpus; c++) {
				const struct xr_flow_pc *s = &pc[(size_t)c * nents + i];
				__u64 p;

				if (__atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) != gen)
					continue;
				p = __atomic_load_n(&s->packets, __ATOMIC_RELAXED);
				__atomic_thread_fence(__ATOMIC_ACQUIRE);
				if (__atomic_load_n(&s->gen, __ATOMIC_RELAXED) == gen)
					n += p;
			}
		} else if (__atomic_load_n(&t[i].fwd.flags, __ATOMIC_RELAXED) & XR_FLOW_F_ACTIVE) {
			n++;
		}
	}
	printf("%llu\n", n);
	munmap(tm, bytes);
	if (pm)
		munmap(pm, pcbytes);
	return 0;
}
