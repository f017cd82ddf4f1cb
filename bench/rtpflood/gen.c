// SPDX-License-Identifier: GPL-2.0
/*
 * gen.c - rtpflood's generators: sendmmsg from one UDP socket (udp), or live
 * frames through BPF_PROG_TEST_RUN with the rf_gen program sending each one
 * out of --dev with XDP_TX (xdp, as xdp-trafficgen does).  Both stamp every
 * payload (struct rf_stamp) and stop at --duration or --count.
 */
#include <errno.h>
#include <pthread.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include "common/addr.h"
#include "rtpflood.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "rtpflood.skel.h"
#pragma GCC diagnostic pop

/* Sleep until the packet count is where the rate wants it at this time. */
static void
pace(uint64_t rate, double t0, uint64_t sent)
{
	double due, now;
	struct timespec ts;

	if (!rate)
		return;
	due = t0 + (double)sent / (double)rate;
	now = rf_now();
	if (due <= now)
		return;
	ts.tv_sec = (time_t)(due - now);
	ts.tv_nsec = (long)((due - now - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* Fill the RTP header and stamp of one packet of flow idx. */
static void
rtp_fill(uint8_t *p, uint8_t pt, uint32_t idx, uint32_t seq, uint64_t now_ns)
{
	struct rf_stamp st = {
		.magic = RF_MAGIC, .flow = idx, .seq = seq, .sent_ns = now_ns,
	};
	uint16_t s16 = htons((uint16_t)seq);
	uint32_t ts = htonl(seq * 160), ssrc = htonl(0x52460000u + idx);

	p[0] = 0x80;		/* V=2 */
	p[1] = pt & 0x7f;	/* M=0, PT */
	memcpy(p + 2, &s16, 2);
	memcpy(p + 4, &ts, 4);
	memcpy(p + 8, &ssrc, 4);
	memcpy(p + RF_RTP_HDR, &st, sizeof(st));
}

/* Swap the sequence numbers, timestamps and stamps of two packets of a flow. */
static void
rtp_swap(uint8_t *a, uint8_t *b)
{
	uint8_t tmp[RF_RTP_HDR + sizeof(struct rf_stamp)];

	memcpy(tmp, a, sizeof(tmp));
	memcpy(a, b, sizeof(tmp));
	memcpy(b, tmp, sizeof(tmp));
}

/*
 * One generator thread: flows base .. base + n - 1 of the run (destinations
 * dsts[base..]), rate pps of the run's total (0: as fast as it can).
 */
struct gen_thread {
	const struct rf_opts	*o;
	struct sockaddr_storage *dsts;	/* all the run's destinations */
	pthread_t		 tid;
	uint32_t		 base, n;
	uint64_t		 rate, count;
	uint64_t		 sent;
	double			 seconds;
	int			 err;
};

/* Split flows, rate and count over the threads; t[i].base/n/rate/count. */
static void
gen_split(const struct rf_opts *o, struct gen_thread *t, uint32_t nt)
{
	uint64_t rate = o->rate;
	uint32_t base = 0;

	for (uint32_t i = 0; i < nt; i++) {
		t[i].o = o;
		t[i].base = base;
		t[i].n = o->nflows / nt + (i < o->nflows % nt ? 1 : 0);
		base += t[i].n;
		/* Rate and count in proportion to the thread's flows. */
		t[i].rate = rate ? (rate * t[i].n + o->nflows - 1) / o->nflows : 0;
		t[i].count = o->count ? o->count / nt + (i < o->count % nt ? 1 : 0) : 0;
	}
}

/* Run fn on every thread (one pthread each, the first on the caller's). */
static int
gen_run(struct gen_thread *t, uint32_t nt, void *(*fn)(void *))
{
	int err = 0;

	for (uint32_t i = 1; i < nt; i++)
		if (pthread_create(&t[i].tid, NULL, fn, &t[i])) {
			fprintf(stderr, "rtpflood: cannot start thread %u\n", i);
			rf_stop = 1;
			nt = i;
			err = -EAGAIN;
			break;
		}
	fn(&t[0]);
	for (uint32_t i = 1; i < nt; i++)
		pthread_join(t[i].tid, NULL);
	for (uint32_t i = 0; i < nt; i++)
		if (t[i].err && !err)
			err = t[i].err;
	return err;
}

/* Results of the threads: packets summed, time of the longest. */
static void
gen_result(const struct rf_opts *o, const struct gen_thread *t, uint32_t nt,
	   struct rf_result *r)
{
	for (uint32_t i = 0; i < nt; i++) {
		r->sent += t[i].sent;
		if (t[i].seconds > r->seconds)
			r->seconds = t[i].seconds;
	}
	r->bytes = r->sent * (RF_RTP_HDR + o->size);
	r->pps = r->seconds > 0 ? (double)r->sent / r->seconds : 0;
	r->bps = r->seconds > 0 ? (double)r->bytes * 8.0 / r->seconds : 0;
}

static void *
gen_udp_thread(void *arg)
{
	struct gen_thread *t = arg;
	const struct rf_opts *o = t->o;
	struct mmsghdr *msgs;
	struct iovec *iov;
	uint32_t *seqs, len = RF_RTP_HDR + o->size, b, flow = 0;
	uint8_t *bufs;
	union xr_sa src;
	double t0, deadline;
	int fd = -1, err = -ENOMEM, sndbuf = 4 << 20, one = 1;
	uint64_t sent = 0, errors = 0;

	seqs = calloc(t->n, sizeof(*seqs));
	msgs = calloc(o->batch, sizeof(*msgs));
	iov = calloc(o->batch, sizeof(*iov));
	bufs = calloc(o->batch, len);
	if (!seqs || !msgs || !iov || !bufs)
		goto out;
	fd = socket(t->dsts[0].ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		perror("rtpflood: socket");
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* Every thread sends from the same --src: a relay latches one source. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (o->src[0]) {
		if (xr_sa_parse(&src, o->src, 0) || src.sa.sa_family != t->dsts[0].ss_family) {
			fprintf(stderr, "rtpflood: bad --src %s (an ADDR:PORT of the "
				"destinations' family)\n", o->src);
			err = -EINVAL;
			goto out;
		}
		if (bind(fd, &src.sa, xr_sa_len(&src))) {
			err = -errno;
			fprintf(stderr, "rtpflood: bind %s: %s\n", o->src, strerror(errno));
			goto out;
		}
	}

	for (b = 0; b < o->batch; b++) {
		iov[b].iov_base = bufs + (size_t)b * len;
		iov[b].iov_len = len;
		msgs[b].msg_hdr.msg_iov = &iov[b];
		msgs[b].msg_hdr.msg_iovlen = 1;
	}

	t0 = rf_now();
	deadline = t0 + o->duration;
	while (!rf_stop && rf_now() < deadline && (!t->count || sent < t->count)) {
		uint64_t ns = rf_now_ns();
		uint32_t n = o->batch;
		int ret;

		if (t->count && t->count - sent < n)
			n = (uint32_t)(t->count - sent);
		if (t->rate && t->rate / 100 < n)
			n = t->rate / 100 ? (uint32_t)(t->rate / 100) : 1;
		for (b = 0; b < n; b++) {
			uint32_t idx = (flow + b) % t->n;
			union xr_sa *d = (union xr_sa *)&t->dsts[t->base + idx];

			rtp_fill(iov[b].iov_base, o->pt, t->base + idx, seqs[idx]++, ns);
			msgs[b].msg_hdr.msg_name = d;
			msgs[b].msg_hdr.msg_namelen = xr_sa_len(d);
		}
		/*
		 * --reorder K (a test of sinks): every K-th packet changes places
		 * with the next one of its flow, t->n packets later in the batch.
		 */
		for (b = 0; o->reorder && b + t->n < n; b++)
			if ((sent + b) % o->reorder == o->reorder - 1)
				rtp_swap(iov[b].iov_base, iov[b + t->n].iov_base);
		ret = sendmmsg(fd, msgs, n, 0);
		if (ret < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR &&
			    errno != ECONNREFUSED) {
				err = -errno;
				perror("rtpflood: sendmmsg");
				goto out;
			}
			ret = 0;
			errors++;
		}
		/* Unsent packets' sequence numbers are taken back: no false loss. */
		for (b = (uint32_t)ret; b < n; b++)
			seqs[(flow + b) % t->n]--;
		flow = (flow + (uint32_t)ret) % t->n;
		sent += (uint64_t)ret;
		pace(t->rate, t0, sent);
	}
	t->seconds = rf_now() - t0;
	t->sent = sent;
	if (errors && o->verbose)
		fprintf(stderr, "rtpflood: %llu sendmmsg calls failed (ENOBUFS/EAGAIN)\n",
			(unsigned long long)errors);
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	free(seqs);
	free(msgs);
	free(iov);
	free(bufs);
	t->err = err;
	if (err)
		rf_stop = 1;
	return NULL;
}

int
rf_gen_udp(const struct rf_opts *o, struct rf_result *r)
{
	struct sockaddr_storage *dsts;
	struct gen_thread *t;
	int err = -ENOMEM;

	dsts = calloc(o->nflows, sizeof(*dsts));
	t = calloc(o->threads, sizeof(*t));
	if (!dsts || !t)
		goto out;
	err = rf_flow_dsts(o, dsts, o->nflows);
	if (err)
		goto out;
	if (o->src_step)
		fprintf(stderr, "rtpflood: --src-step is for --mode xdp; udp sends from one port\n");
	gen_split(o, t, o->threads);
	for (uint32_t i = 0; i < o->threads; i++)
		t[i].dsts = dsts;
	err = gen_run(t, o->threads, gen_udp_thread);
	if (!err)
		gen_result(o, t, o->threads, r);
out:
	free(dsts);
	free(t);
	return err;
}

int
rf_if_mac(const char *dev, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

/* MAC of ip from the kernel's IPv4 neighbour table (/proc/net/arp). */
static int
arp_mac(struct in_addr ip, const char *dev, uint8_t mac[6])
{
	char line[256], ipbuf[INET_ADDRSTRLEN], ifname[IF_NAMESIZE + 1];
	unsigned v[6], flags;
	FILE *f = fopen("/proc/net/arp", "r");
	int err = -ENOENT;

	if (!f)
		return -errno;
	inet_ntop(AF_INET, &ip, ipbuf, sizeof(ipbuf));
	while (fgets(line, sizeof(line), f)) {
		char a[64];

		if (sscanf(line, "%63s %*s %x %x:%x:%x:%x:%x:%x %*s %16s", a, &flags, &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], ifname) != 9)
			continue;
		if (strcmp(a, ipbuf) || strcmp(ifname, dev) || !(flags & 0x2))
			continue;
		for (int i = 0; i < 6; i++)
			mac[i] = (uint8_t)v[i];
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static int
libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* What every xdp generator thread shares: the template frame and addresses. */
struct gen_xdp {
	const struct sockaddr_storage *dsts;
	union xr_sa	src;
	uint8_t		src_mac[6], dst_mac[6];
	uint32_t	len;		/* frame bytes */
	int		ifindex;
};

static const struct gen_xdp *gx;	/* set before the threads start */

/*
 * One xdp generator thread: its own rf_gen instance (own flow table slice,
 * own frame counter, so no atomics in the program) run with live frames.
 */
static void *
gen_xdp_thread(void *arg)
{
	struct gen_thread *t = arg;
	const struct rf_opts *o = t->o;
	struct rtpflood *skel = NULL;
	struct xdp_md ctx = { 0 };
	struct rf_gen_flow *flows = NULL;
	uint32_t *keys = NULL;
	uint8_t *buf, *frame;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct udphdr *udp;
	uint32_t len = gx->len;
	int prog_fd, err = -ENOMEM;
	uint64_t sent = 0;
	double t0, deadline;

	/* 2 bytes ahead of the frame put the IP header on a 4-byte boundary. */
	buf = calloc(1, len + 2);
	flows = calloc(t->n, sizeof(*flows));
	keys = calloc(t->n, sizeof(*keys));
	if (!buf || !flows || !keys)
		goto out;
	frame = buf + 2;

	/* The first frame; rf_gen rewrites every header (see tmpl_* there). */
	eth = (struct ethhdr *)frame;
	memcpy(eth->h_dest, gx->dst_mac, 6);
	memcpy(eth->h_source, gx->src_mac, 6);
	eth->h_proto = htons(ETH_P_IP);
	ip = (struct iphdr *)(eth + 1);
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = 0xb8;		/* DSCP EF, as voice is marked */
	ip->tot_len = htons((uint16_t)(len - sizeof(*eth)));
	ip->frag_off = htons(0x4000);	/* DF */
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	udp = (struct udphdr *)(ip + 1);
	udp->len = htons((uint16_t)(len - sizeof(*eth) - sizeof(*ip)));

	skel = rtpflood__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "rtpflood: cannot open the BPF object: %s\n", strerror(-err));
		goto out;
	}
	skel->rodata->nflows = t->n;
	skel->rodata->flow_base = t->base;
	skel->rodata->rtp_pt = o->pt;
	memcpy((void *)skel->rodata->tmpl_dst_mac, gx->dst_mac, 6);
	memcpy((void *)skel->rodata->tmpl_src_mac, gx->src_mac, 6);
	skel->rodata->tmpl_ip_len = (uint16_t)(len - sizeof(*eth));
	skel->rodata->tmpl_udp_len = (uint16_t)(len - sizeof(*eth) - sizeof(*ip));
	bpf_program__set_autoload(skel->progs.rf_sink, false);
	bpf_program__set_autoload(skel->progs.rf_fwd, false);
	bpf_map__set_max_entries(skel->maps.rf_flows, t->n);
	bpf_map__set_max_entries(skel->maps.rf_sink_flows, 1);
	err = rtpflood__load(skel);
	if (err) {
		fprintf(stderr, "rtpflood: cannot load the BPF object: %s\n", strerror(-err));
		goto out;
	}
	for (uint32_t i = 0; i < t->n; i++) {
		uint32_t g = t->base + i;
		const struct sockaddr_in *d = (const struct sockaddr_in *)&gx->dsts[g];
		uint32_t sport = xr_sa_port(&gx->src) + g * (uint32_t)o->src_step;

		flows[i] = (struct rf_gen_flow){
			.saddr = gx->src.sin.sin_addr.s_addr, .daddr = d->sin_addr.s_addr,
			.sport = htons((uint16_t)sport), .dport = d->sin_port,
		};
		keys[i] = i;
	}
	/* One batch update (a million flows in one syscall); else one by one. */
	{
		uint32_t count = t->n;
		LIBBPF_OPTS(bpf_map_batch_opts, bo);

		if (bpf_map_update_batch(bpf_map__fd(skel->maps.rf_flows), keys, flows, &count,
					 &bo)) {
			for (uint32_t i = 0; i < t->n; i++)
				if (bpf_map_update_elem(bpf_map__fd(skel->maps.rf_flows), &keys[i],
							&flows[i], BPF_ANY)) {
					err = -errno;
					perror("rtpflood: flow table");
					goto out;
				}
		}
	}
	prog_fd = bpf_program__fd(skel->progs.rf_gen);
	ctx.data_end = len;
	ctx.ingress_ifindex = (uint32_t)gx->ifindex;

	t0 = rf_now();
	deadline = t0 + o->duration;
	while (!rf_stop && rf_now() < deadline && (!t->count || sent < t->count)) {
		/*
		 * Each call sets up and tears down a page pool (~15-30 ms here), so
		 * calls are large: ~250 ms of frames at the rate seen so far, less
		 * near the deadline; with a rate, 100 ms worth (bursts, then a pause).
		 */
		double el = rf_now() - t0, left = deadline - rf_now();
		uint64_t chunk = 1 << 16;
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			.data_in = frame, .data_size_in = len,
			.ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			.flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = o->batch);

		if (sent && el > 0)
			chunk = (uint64_t)((double)sent / el * (left < 0.25 ? left : 0.25)) + 1;
		if (chunk > (1u << 24))
			chunk = 1u << 24;
		if (t->rate)
			chunk = t->rate / 10 ? t->rate / 10 : 1;
		if (t->count && t->count - sent < chunk)
			chunk = t->count - sent;
		opts.repeat = (int)chunk;
		if (bpf_prog_test_run_opts(prog_fd, &opts)) {
			if (errno == EINTR)
				break;
			err = -errno;
			perror("rtpflood: BPF_PROG_TEST_RUN (live frames)");
			goto out;
		}
		sent = skel->bss->gen_counter;
		pace(t->rate, t0, sent);
	}
	t->seconds = rf_now() - t0;
	t->sent = skel->bss->gen_counter;
	err = 0;
out:
	rtpflood__destroy(skel);
	free(buf);
	free(flows);
	free(keys);
	t->err = err;
	if (err)
		rf_stop = 1;
	return NULL;
}

int
rf_gen_xdp(const struct rf_opts *o, struct rf_result *r)
{
	struct sockaddr_storage *dsts = NULL;
	struct gen_xdp g = { 0 };
	struct gen_thread *t = NULL;
	int err;

	libbpf_set_print(libbpf_quiet);
	g.ifindex = (int)if_nametoindex(o->dev);
	if (!g.ifindex) {
		fprintf(stderr, "rtpflood: --mode xdp needs --dev IFNAME (%s: %s)\n",
			o->dev[0] ? o->dev : "none", strerror(errno));
		return -ENODEV;
	}
	if (xr_sa_parse(&g.src, o->src, -1) || g.src.sa.sa_family != AF_INET) {
		fprintf(stderr, "rtpflood: --mode xdp needs --src IPV4:PORT\n");
		return -EINVAL;
	}
	if (xr_sa_port(&g.src) + (uint64_t)(o->nflows - 1) * (uint64_t)o->src_step > 65535) {
		fprintf(stderr, "rtpflood: --src port + (--flows - 1) * --src-step passes 65535\n");
		return -EINVAL;
	}
	g.len = sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr) +
		RF_RTP_HDR + o->size;
	dsts = calloc(o->nflows, sizeof(*dsts));
	t = calloc(o->threads, sizeof(*t));
	err = -ENOMEM;
	if (!dsts || !t)
		goto out;
	err = rf_flow_dsts(o, dsts, o->nflows);
	if (err)
		goto out;
	for (uint32_t i = 0; i < o->nflows; i++) {
		if (dsts[i].ss_family != AF_INET) {
			fprintf(stderr, "rtpflood: --mode xdp sends IPv4 only\n");
			err = -EINVAL;
			goto out;
		}
	}
	g.dsts = dsts;
	err = rf_if_mac(o->dev, g.src_mac);
	if (err) {
		fprintf(stderr, "rtpflood: MAC of %s: %s\n", o->dev, strerror(-err));
		goto out;
	}
	if (o->have_dst_mac) {
		memcpy(g.dst_mac, o->dst_mac, 6);
	} else {
		err = arp_mac(((struct sockaddr_in *)&dsts[0])->sin_addr, o->dev, g.dst_mac);
		if (err) {
			fprintf(stderr, "rtpflood: no neighbour entry for the destination on %s: "
				"give --dst-mac\n", o->dev);
			goto out;
		}
	}
	gx = &g;
	gen_split(o, t, o->threads);
	err = gen_run(t, o->threads, gen_xdp_thread);
	if (!err)
		gen_result(o, t, o->threads, r);
out:
	free(dsts);
	free(t);
	return err;
}
