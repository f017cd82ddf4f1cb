// SPDX-License-Identifier: GPL-2.0
/*
 * xr_flows_count.c - what a pinned xrelay flow table (xr_flows, flow.h)
 * holds, for the e2e tests: the number of flows (entries marked
 * XR_FLOW_F_ACTIVE), or with --packets the packets the kernel forwarded,
 * summed over every entry.  Reads through a read-only mapping of its own;
 * no daemon needed.  `bpftool map dump` of the whole array is tens of MB of
 * JSON at the default --ports.
 *
 *   xr_flows_count [--packets] /sys/fs/bpf/xrelay/xr_flows
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "xrelay/flow.h"

int
main(int argc, char **argv)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	const struct xr_flow_ent *t;
	void *m;
	unsigned long long n = 0;
	int packets = argc == 3 && strcmp(argv[1], "--packets") == 0;
	size_t bytes, psz = (size_t)sysconf(_SC_PAGESIZE);
	int fd;

	if (argc != 2 + packets) {
		fprintf(stderr, "usage: xr_flows_count [--packets] PINNED_XR_FLOWS\n");
		return 2;
	}
	fd = bpf_obj_get(argv[argc - 1]);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", argv[argc - 1], strerror(errno));
		return 1;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.value_size != sizeof(*t)) {
		fprintf(stderr, "%s: not an xrelay flow table of this ABI\n", argv[argc - 1]);
		return 1;
	}
	bytes = ((size_t)info.max_entries * info.value_size + psz - 1) & ~(psz - 1);
	m = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
	t = m;
	if (m == MAP_FAILED) {
		fprintf(stderr, "%s: mmap: %s\n", argv[argc - 1], strerror(errno));
		return 1;
	}
	for (__u32 i = 0; i < info.max_entries; i++) {
		if (packets) {
			/* hi, pb, hi until consistent (flow.h xr_flow_ent.pb) */
			__u64 h1, pb, h2;

			do {
				h1 = __atomic_load_n(&t[i].hi, __ATOMIC_ACQUIRE);
				pb = __atomic_load_n(&t[i].pb, __ATOMIC_ACQUIRE);
				h2 = __atomic_load_n(&t[i].hi, __ATOMIC_ACQUIRE);
			} while (h1 != h2 || XR_PB_PENDING(pb));
			n += XR_PB_PACKETS(pb, h2);
		} else if (__atomic_load_n(&t[i].fwd.flags, __ATOMIC_RELAXED) & XR_FLOW_F_ACTIVE)
			n++;
	}
	printf("%llu\n", n);
	munmap(m, bytes);
	close(fd);
	return 0;
}
