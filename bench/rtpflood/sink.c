// SPDX-License-Identifier: GPL-2.0
/*
 * sink.c - rtpflood's sinks: recvmmsg on a UDP socket (udp), or the rf_sink
 * XDP program counting and dropping at the interface (xdp), for rates no
 * socket keeps up with.  Both count stamped packets per flow, loss from gaps
 * in the 32-bit sequence numbers, and one-way delay into a histogram.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/addr.h"
#include "rtpflood.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "rtpflood.skel.h"
#pragma GCC diagnostic pop

/* Totals over per-flow counters: received, lost, seconds from first to last. */
static void
sink_totals(const struct rf_sink_flow *fl, uint32_t n, struct rf_result *r)
{
	uint64_t first = UINT64_MAX, last = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct rf_sink_flow *f = &fl[i];
		uint64_t expect;

		if (!f->packets)
			continue;
		r->flows_seen++;
		r->received += f->packets;
		r->bytes += f->bytes;
		expect = (uint64_t)(f->seq_max - f->seq_min) + 1;
		if (expect > f->packets)
			r->lost += expect - f->packets;
		if (f->first_ns < first)
			first = f->first_ns;
		if (f->last_ns > last)
			last = f->last_ns;
	}
	r->seconds = last > first ? (double)(last - first) / 1e9 : 0;
	/* n packets span n-1 intervals */
	r->pps = r->seconds > 0 ? (double)(r->received - 1) / r->seconds : 0;
}

int
rf_sink_udp(const struct rf_opts *o, struct rf_result *r)
{
	struct rf_sink_flow *fl;
	struct mmsghdr *msgs;
	struct iovec *iov;
	uint8_t *bufs;
	union xr_sa addr;
	const uint32_t len = 2048;
	int fd = -1, err = -ENOMEM, rcvbuf = 32 << 20;
	double deadline;

	fl = calloc(RF_MAX_FLOWS, sizeof(*fl));
	msgs = calloc(o->batch, sizeof(*msgs));
	iov = calloc(o->batch, sizeof(*iov));
	bufs = calloc(o->batch, len);
	if (!fl || !msgs || !iov || !bufs)
		goto out;
	if (xr_sa_parse(&addr, o->src, -1)) {
		fprintf(stderr, "rtpflood: sink --mode udp needs --bind ADDR:PORT\n");
		err = -EINVAL;
		goto out;
	}
	fd = socket(addr.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		perror("rtpflood: socket");
		goto out;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, &addr.sa, xr_sa_len(&addr))) {
		err = -errno;
		fprintf(stderr, "rtpflood: bind %s: %s\n", o->src, strerror(errno));
		goto out;
	}
	for (uint32_t b = 0; b < o->batch; b++) {
		iov[b].iov_base = bufs + (size_t)b * len;
		iov[b].iov_len = len;
		msgs[b].msg_hdr.msg_iov = &iov[b];
		msgs[b].msg_hdr.msg_iovlen = 1;
	}

	deadline = rf_now() + o->duration;
	while (!rf_stop && rf_now() < deadline && (!o->count || r->received < o->count)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now;
		int n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recvmmsg(fd, msgs, o->batch, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				err = -errno;
				perror("rtpflood: recvmmsg");
				goto out;
			}
			continue;
		}
		now = rf_now_ns();	/* one clock read per batch */
		for (int i = 0; i < n; i++) {
			const uint8_t *p = iov[i].iov_base;
			struct rf_stamp st;
			struct rf_sink_flow *f;

			if (msgs[i].msg_len < RF_RTP_HDR + sizeof(st)) {
				r->foreign++;
				continue;
			}
			memcpy(&st, p + RF_RTP_HDR, sizeof(st));
			if (st.magic != RF_MAGIC || st.flow >= RF_MAX_FLOWS) {
				r->foreign++;
				continue;
			}
			f = &fl[st.flow];
			if (!f->packets) {
				f->seq_min = f->seq_max = st.seq;
				f->first_ns = now;
			} else if (st.seq < f->seq_min) {
				f->seq_min = st.seq;
			} else if (st.seq > f->seq_max) {
				f->seq_max = st.seq;
			}
			f->packets++;
			f->bytes += msgs[i].msg_len;
			f->last_ns = now;
			r->hist[rf_hist_bucket(now > st.sent_ns ? now - st.sent_ns : 0)]++;
			r->hist_n++;
			r->received++;
		}
	}
	r->received = 0;	/* recounted from the flows */
	sink_totals(fl, RF_MAX_FLOWS, r);
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	free(fl);
	free(msgs);
	free(iov);
	free(bufs);
	return err;
}

static int
libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* Sum the per-CPU stamped-packet counters of flows 0..n-1. */
static uint64_t
xdp_received(int fd, uint32_t n, int ncpus, struct rf_sink_flow *pc)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &i, pc))
			continue;
		for (int c = 0; c < ncpus; c++)
			sum += pc[c].packets;
	}
	return sum;
}

int
rf_sink_xdp(const struct rf_opts *o, struct rf_result *r)
{
	struct rtpflood *skel = NULL;
	struct bpf_link *link = NULL;
	struct rf_sink_flow *pc = NULL, *fl = NULL;
	uint64_t *hc = NULL;
	int ifindex, ncpus, err, flows_fd;
	uint32_t lo = o->port_lo, hi = o->port_hi, key = 0;
	double deadline;

	libbpf_set_print(libbpf_quiet);
	ifindex = (int)if_nametoindex(o->dev);
	if (!ifindex) {
		fprintf(stderr, "rtpflood: sink --mode xdp needs --dev IFNAME (%s: %s)\n",
			o->dev[0] ? o->dev : "none", strerror(errno));
		return -ENODEV;
	}
	if (!lo && !hi) {
		union xr_sa a;

		if (xr_sa_parse(&a, o->src, -1)) {
			fprintf(stderr, "rtpflood: sink --mode xdp needs --ports LO-HI or --bind\n");
			return -EINVAL;
		}
		lo = hi = xr_sa_port(&a);
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		return -EINVAL;
	pc = calloc((size_t)ncpus, sizeof(*pc));
	hc = calloc((size_t)ncpus, sizeof(*hc));
	fl = calloc(o->nflows, sizeof(*fl));
	err = -ENOMEM;
	if (!pc || !hc || !fl)
		goto out;

	skel = rtpflood__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "rtpflood: cannot open the BPF object: %s\n", strerror(-err));
		goto out;
	}
	skel->rodata->port_lo = (uint16_t)lo;
	skel->rodata->port_hi = (uint16_t)hi;
	bpf_program__set_autoload(skel->progs.rf_gen, false);
	bpf_program__set_autoload(skel->progs.rf_fwd, false);
	err = rtpflood__load(skel);
	if (err) {
		fprintf(stderr, "rtpflood: cannot load the BPF object: %s\n", strerror(-err));
		goto out;
	}
	/* A bpf_link: the program goes away with this process, whatever happens. */
	link = bpf_program__attach_xdp(skel->progs.rf_sink, ifindex);
	if (!link) {
		err = -errno;
		fprintf(stderr, "rtpflood: cannot attach XDP to %s: %s\n", o->dev, strerror(-err));
		goto out;
	}
	flows_fd = bpf_map__fd(skel->maps.rf_sink_flows);

	deadline = rf_now() + o->duration;
	while (!rf_stop && rf_now() < deadline) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		if (o->count && xdp_received(flows_fd, o->nflows, ncpus, pc) >= o->count)
			break;
	}
	bpf_link__destroy(link);
	link = NULL;

	/* Merge the per-CPU counters: sums, sequence range, time range. */
	for (uint32_t i = 0; i < o->nflows; i++) {
		struct rf_sink_flow *f = &fl[i];

		if (bpf_map_lookup_elem(flows_fd, &i, pc))
			continue;
		for (int c = 0; c < ncpus; c++) {
			const struct rf_sink_flow *p = &pc[c];

			if (!p->packets)
				continue;
			if (!f->packets || p->seq_min < f->seq_min)
				f->seq_min = p->seq_min;
			if (!f->packets || p->seq_max > f->seq_max)
				f->seq_max = p->seq_max;
			if (!f->packets || p->first_ns < f->first_ns)
				f->first_ns = p->first_ns;
			if (p->last_ns > f->last_ns)
				f->last_ns = p->last_ns;
			f->packets += p->packets;
			f->bytes += p->bytes;
		}
	}
	sink_totals(fl, o->nflows, r);
	for (uint32_t b = 0; b < RF_HIST_BUCKETS; b++) {
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.rf_hist), &b, hc))
			continue;
		for (int c = 0; c < ncpus; c++)
			r->hist[b] += hc[c];
		r->hist_n += r->hist[b];
	}
	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.rf_foreign), &key, hc))
		for (int c = 0; c < ncpus; c++)
			r->foreign += hc[c];
	err = 0;
out:
	bpf_link__destroy(link);
	rtpflood__destroy(skel);
	free(pc);
	free(hc);
	free(fl);
	return err;
}
