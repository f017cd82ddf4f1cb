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

/* Totals over per-flow counters: received, lost, reordered, seconds from first to last. */
static void
sink_totals(const struct rf_sink_flow *fl, uint32_t n, struct rf_result *r)
{
	uint64_t first = UINT64_MAX, last = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct rf_sink_flow *f = &fl[i];

		if (!f->packets)
			continue;
		r->flows_seen++;
		r->received += f->packets;
		r->bytes += f->bytes;
		r->lost += rf_flow_lost(f);
		r->reordered += f->reordered;
		if (f->first_ns < first)
			first = f->first_ns;
		if (f->last_ns > last)
			last = f->last_ns;
	}
	r->seconds = last > first ? (double)(last - first) / 1e9 : 0;
	/* n packets span n-1 intervals */
	r->pps = r->seconds > 0 ? (double)(r->received - 1) / r->seconds : 0;
	r->bps = r->seconds > 0 && r->received ?
		 (double)r->bytes * 8.0 * (double)(r->received - 1) / (double)r->received /
		 r->seconds : 0;
}

/* One stamped packet into its flow's counters (udp sink; rf_sink does the same). */
static void
flow_count(struct rf_sink_flow *f, const struct rf_stamp *st, uint32_t len, uint64_t now)
{
	if (!f->packets) {
		f->seq_min = f->seq_max = st->seq;
		f->first_ns = now;
	} else if (st->seq > f->seq_max) {
		f->seq_max = st->seq;
	} else {
		f->reordered++;
		if (st->seq < f->seq_min)
			f->seq_min = st->seq;
	}
	f->packets++;
	f->bytes += len;
	f->last_ns = now;
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

	fl = calloc(o->nflows, sizeof(*fl));
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
			if ((p[0] & 0xc0) != 0x80 || st.magic != RF_MAGIC || st.flow >= o->nflows) {
				r->foreign++;
				continue;
			}
			f = &fl[st.flow];
			flow_count(f, &st, msgs[i].msg_len, now);
			r->hist[rf_hist_bucket(now > st.sent_ns ? now - st.sent_ns : 0)]++;
			r->hist_n++;
			r->received++;
		}
	}
	r->received = 0;	/* recounted from the flows */
	sink_totals(fl, o->nflows, r);
	if (o->per_flow) {
		r->per_flow = fl;
		fl = NULL;
	}
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

/* Stamped packets counted so far (rf_sink_total over the CPUs). */
static uint64_t
xdp_received(int fd, int ncpus, uint64_t *pc)
{
	uint32_t key = 0;
	uint64_t sum = 0;

	if (bpf_map_lookup_elem(fd, &key, pc))
		return 0;
	for (int c = 0; c < ncpus; c++)
		sum += pc[c];
	return sum;
}

/* Merge the per-CPU counters of one flow into f: sums, sequence and time ranges. */
static void
flow_merge(struct rf_sink_flow *f, const struct rf_sink_flow *pc, int ncpus)
{
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
		f->reordered += p->reordered;
	}
}

/*
 * Read the per-CPU flow table into fl (merged), in batches of up to 4096
 * keys (a million flows in a few hundred syscalls), one lookup at a time
 * where the kernel has no batch operation for the map.
 */
static int
xdp_read_flows(int fd, uint32_t n, int ncpus, struct rf_sink_flow *fl)
{
	const uint32_t chunk = 4096;
	struct rf_sink_flow *vals = calloc((size_t)chunk * (size_t)ncpus, sizeof(*vals));
	uint32_t *keys = calloc(chunk, sizeof(*keys)), in = 0, out = 0, done = 0;
	bool first = true, batch = true;
	int err = 0;

	if (!vals || !keys) {
		err = -ENOMEM;
		goto out;
	}
	while (batch && done < n) {
		uint32_t count = chunk;
		LIBBPF_OPTS(bpf_map_batch_opts, bo);

		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, &bo);
		if (err && errno != ENOENT) {
			batch = false;	/* fall back to single lookups from done on */
			break;
		}
		for (uint32_t i = 0; i < count; i++)
			if (keys[i] < n)
				flow_merge(&fl[keys[i]], &vals[(size_t)i * (size_t)ncpus], ncpus);
		done += count;
		first = false;
		in = out;
		if (err)	/* ENOENT: the last batch */
			break;
	}
	err = 0;
	if (!batch) {
		for (uint32_t i = done; i < n; i++)
			if (!bpf_map_lookup_elem(fd, &i, vals))
				flow_merge(&fl[i], vals, ncpus);
	}
out:
	free(vals);
	free(keys);
	return err;
}

int
rf_sink_xdp(const struct rf_opts *o, struct rf_result *r)
{
	struct rtpflood *skel = NULL;
	struct bpf_link *link = NULL;
	struct rf_sink_flow *fl = NULL;
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
	hc = calloc((size_t)ncpus, sizeof(*hc));
	fl = calloc(o->nflows, sizeof(*fl));
	err = -ENOMEM;
	if (!hc || !fl)
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
	bpf_map__set_max_entries(skel->maps.rf_sink_flows, o->nflows);
	bpf_map__set_max_entries(skel->maps.rf_flows, 1);
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
		if (o->count && xdp_received(bpf_map__fd(skel->maps.rf_sink_total), ncpus, hc) >=
				o->count)
			break;
	}
	bpf_link__destroy(link);
	link = NULL;

	err = xdp_read_flows(flows_fd, o->nflows, ncpus, fl);
	if (err)
		goto out;
	sink_totals(fl, o->nflows, r);
	if (o->per_flow) {
		r->per_flow = fl;
		fl = NULL;
	}
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
	free(hc);
	free(fl);
	return err;
}
