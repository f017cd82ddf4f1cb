// SPDX-License-Identifier: GPL-2.0
/*
 * fwd.c - `rtpflood fwd`: the benchmark's reference XDP forwarder.  rf_fwd on
 * --dev sends UDP to --ports out of --out to --dst-mac with nothing but a MAC
 * rewrite, TTL-1 and a DEVMAP redirect: what "XDP forwarding" costs on the
 * testbed with no lookups, the floor xrelay's program is compared with.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "rtpflood.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "rtpflood.skel.h"
#pragma GCC diagnostic pop

static int
libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int
rf_fwd_xdp(const struct rf_opts *o, struct rf_result *r)
{
	struct rtpflood *skel = NULL;
	struct bpf_link *link = NULL;
	uint64_t *pc = NULL;
	uint8_t src_mac[6];
	int in, out, ncpus, err;
	uint32_t key = 0, outidx;
	double t0, deadline;

	libbpf_set_print(libbpf_quiet);
	in = (int)if_nametoindex(o->dev);
	out = (int)if_nametoindex(o->out);
	if (!in || !out || !o->have_dst_mac || (!o->port_lo && !o->port_hi)) {
		fprintf(stderr, "rtpflood: fwd needs --dev IN --out OUT --dst-mac MAC --ports LO-HI\n");
		return -EINVAL;
	}
	err = rf_if_mac(o->out, src_mac);
	if (err) {
		fprintf(stderr, "rtpflood: MAC of %s: %s\n", o->out, strerror(-err));
		return err;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		return -EINVAL;
	pc = calloc((size_t)ncpus, sizeof(*pc));
	if (!pc)
		return -ENOMEM;

	skel = rtpflood__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "rtpflood: cannot open the BPF object: %s\n", strerror(-err));
		goto out;
	}
	skel->rodata->port_lo = (uint16_t)o->port_lo;
	skel->rodata->port_hi = (uint16_t)o->port_hi;
	memcpy((void *)skel->rodata->fwd_dst_mac, o->dst_mac, 6);
	memcpy((void *)skel->rodata->fwd_src_mac, src_mac, 6);
	bpf_program__set_autoload(skel->progs.rf_gen, false);
	bpf_program__set_autoload(skel->progs.rf_sink, false);
	bpf_map__set_max_entries(skel->maps.rf_flows, 1);
	bpf_map__set_max_entries(skel->maps.rf_sink_flows, 1);
	err = rtpflood__load(skel);
	if (err) {
		fprintf(stderr, "rtpflood: cannot load the BPF object: %s\n", strerror(-err));
		goto out;
	}
	outidx = (uint32_t)out;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.rf_tx), &key, &outidx, BPF_ANY)) {
		err = -errno;
		fprintf(stderr, "rtpflood: %s in the DEVMAP: %s\n", o->out, strerror(-err));
		goto out;
	}
	link = bpf_program__attach_xdp(skel->progs.rf_fwd, in);
	if (!link) {
		err = -errno;
		fprintf(stderr, "rtpflood: cannot attach XDP to %s: %s\n", o->dev, strerror(-err));
		goto out;
	}

	t0 = rf_now();
	deadline = t0 + o->duration;
	while (!rf_stop && rf_now() < deadline) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	bpf_link__destroy(link);
	link = NULL;
	r->seconds = rf_now() - t0;
	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.rf_fwd_count), &key, pc))
		for (int c = 0; c < ncpus; c++)
			r->received += pc[c];
	r->pps = r->seconds > 0 ? (double)r->received / r->seconds : 0;
	err = 0;
out:
	bpf_link__destroy(link);
	rtpflood__destroy(skel);
	free(pc);
	return err;
}
