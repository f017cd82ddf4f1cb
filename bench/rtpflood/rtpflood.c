// SPDX-License-Identifier: GPL-2.0
/*
 * rtpflood.c - command line, flow addressing and the report of rtpflood, the
 * RTP generator and sink of xrelay's benchmark (DESIGN.md, bench/README.md).
 * The packet work is in gen.c (udp/xdp generator) and sink.c (udp/xdp sink).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/addr.h"
#include "rtpflood.h"

volatile int rf_stop;

static void
usage(FILE *out)
{
	fprintf(out,
"usage: rtpflood gen  [--mode udp|xdp] --dst ADDR:PORT [--dst-step N | --dst-file FILE]\n"
"                     [--src ADDR:PORT] [--src-step N] [--flows N] [--size BYTES] [--pt N]\n"
"                     [--rate PPS | --flow-rate PPS] [--count N] [--duration SEC]\n"
"                     [--threads N] [--batch N] [--dev IFNAME] [--dst-mac MAC]\n"
"                     [--reorder K] [--json]\n"
"       rtpflood sink [--mode udp|xdp] --bind ADDR:PORT | --dev IFNAME --ports LO-HI\n"
"                     [--flows N] [--count N] [--duration SEC] [--batch N] [--per-flow]\n"
"                     [--json]\n"
"       rtpflood fwd  --dev IN --out OUT --dst-mac MAC --ports LO-HI [--duration SEC]\n"
"\n"
"gen: sends RTP (V=2, --pt, per-flow SSRC, sequence and timestamp) to --flows\n"
"     destinations (--dst, then +--dst-step ports each: a port range; or one\n"
"     ADDR:PORT per line of --dst-file); every payload starts with a stamp (flow,\n"
"     32-bit seq, send time).  --size is the RTP payload after the 12-byte header\n"
"     (G.711 20 ms: 160).  --rate is packets/s in all, --flow-rate per flow; none:\n"
"     as fast as possible.  --threads splits the flows over N threads.\n"
"     udp: sendmmsg (--batch per call) from sockets bound to --src; --reorder K\n"
"          swaps every K-th packet with the next of its flow (to test sinks).\n"
"     xdp: live frames (BPF_PROG_TEST_RUN, BPF_F_TEST_XDP_LIVE_FRAMES) sent with\n"
"          XDP_TX out of --dev; IPv4; --src is required, source port + --src-step\n"
"          per flow; --dst-mac defaults to the neighbour entry of the destination.\n"
"sink: counts stamped packets per flow, loss from sequence gaps, reordering\n"
"     (a packet older than one before it), rate (pps, bit/s of RTP) from the first\n"
"     to the last packet, one-way delay percentiles (same host clock);\n"
"     --per-flow lists every flow.\n"
"     udp: recvmmsg on a socket bound to --bind.\n"
"     xdp: an XDP program on --dev counts and drops UDP to ports LO-HI.\n"
"fwd: the reference XDP forwarder: UDP to ports LO-HI arriving on --dev leaves\n"
"     by --out to --dst-mac (MAC rewrite, TTL-1, DEVMAP redirect, no lookups).\n"
"Every run ends after --duration seconds (default 10, at most 86400) or --count\n"
"packets, or on SIGINT/SIGTERM.\n");
}

double
rf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t
rf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int
rf_flow_dsts(const struct rf_opts *o, struct sockaddr_storage *dsts, uint32_t n)
{
	union xr_sa sa;
	uint32_t i = 0;

	if (o->dst_file[0]) {
		char line[128];
		FILE *f = fopen(o->dst_file, "r");

		if (!f) {
			fprintf(stderr, "rtpflood: %s: %s\n", o->dst_file, strerror(errno));
			return -errno;
		}
		while (i < n && fgets(line, sizeof(line), f)) {
			line[strcspn(line, " \t\r\n#")] = '\0';
			if (!line[0])
				continue;
			if (xr_sa_parse(&sa, line, -1)) {
				fprintf(stderr, "rtpflood: %s: bad address %s\n", o->dst_file, line);
				fclose(f);
				return -EINVAL;
			}
			memset(&dsts[i], 0, sizeof(dsts[i]));
			memcpy(&dsts[i++], &sa, sizeof(sa));
		}
		fclose(f);
		if (i < n) {
			fprintf(stderr, "rtpflood: %s has %u destinations, --flows is %u\n",
				o->dst_file, i, n);
			return -EINVAL;
		}
		return 0;
	}
	if (xr_sa_parse(&sa, o->dst, -1)) {
		fprintf(stderr, "rtpflood: bad or missing --dst %s\n", o->dst);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		uint32_t port = xr_sa_port(&sa) + i * (uint32_t)o->dst_step;

		if (port > 65535) {
			fprintf(stderr, "rtpflood: --dst port + --flows * --dst-step passes 65535\n");
			return -EINVAL;
		}
		memset(&dsts[i], 0, sizeof(dsts[i]));
		memcpy(&dsts[i], &sa, sizeof(sa));
		xr_sa_set_port((union xr_sa *)&dsts[i], (uint16_t)port);
	}
	return 0;
}

/* Delay at quantile q (0..1) from the histogram, in us (bucket lower bound). */
static double
hist_quantile(const struct rf_result *r, double q)
{
	uint64_t want, acc = 0;

	if (r->hist_n == 0)
		return 0;
	want = (uint64_t)(q * (double)r->hist_n);
	if (want >= r->hist_n)
		want = r->hist_n - 1;
	for (uint32_t b = 0; b < RF_HIST_BUCKETS; b++) {
		acc += r->hist[b];
		if (acc > want)
			return rf_hist_us(b);
	}
	return rf_hist_us(RF_HIST_BUCKETS - 1);
}

static void
report(const struct rf_opts *o, const struct rf_result *r)
{
	double p50 = hist_quantile(r, 0.50), p90 = hist_quantile(r, 0.90);
	double p99 = hist_quantile(r, 0.99);
	uint64_t expect = r->received + r->lost;
	double loss = expect ? 100.0 * (double)r->lost / (double)expect : 0;

	if (o->json) {
		printf("{\"role\":\"%s\",\"mode\":\"%s\",\"flows\":%u,\"payload\":%u,"
		       "\"threads\":%u,\"sent\":%llu,\"received\":%llu,\"lost\":%llu,"
		       "\"loss_pct\":%.4f,\"reordered\":%llu,\"foreign\":%llu,"
		       "\"flows_seen\":%u,\"bytes\":%llu,\"seconds\":%.6f,\"pps\":%.0f,"
		       "\"bps\":%.0f,\"latency_us\":{\"n\":%llu,\"p50\":%.0f,\"p90\":%.0f,"
		       "\"p99\":%.0f}",
		       r->role, r->mode, r->nflows, o->size, o->sink || o->fwd ? 1 : o->threads,
		       (unsigned long long)r->sent, (unsigned long long)r->received,
		       (unsigned long long)r->lost, loss, (unsigned long long)r->reordered,
		       (unsigned long long)r->foreign, r->flows_seen,
		       (unsigned long long)r->bytes, r->seconds, r->pps, r->bps,
		       (unsigned long long)r->hist_n, p50, p90, p99);
		if (r->per_flow) {
			printf(",\"per_flow\":[");
			for (uint32_t i = 0; i < r->nflows; i++) {
				const struct rf_sink_flow *f = &r->per_flow[i];

				printf("%s{\"flow\":%u,\"received\":%llu,\"lost\":%llu,"
				       "\"reordered\":%llu}", i ? "," : "", i,
				       (unsigned long long)f->packets,
				       (unsigned long long)rf_flow_lost(f),
				       (unsigned long long)f->reordered);
			}
			printf("]");
		}
		printf("}\n");
		return;
	}
	printf("rtpflood %s (%s): %u flows, %u-byte RTP payload\n", r->role, r->mode,
	       r->nflows, o->size);
	if (o->fwd) {
		printf("  forwarded  %llu packets in %.3f s: %.0f pps\n",
		       (unsigned long long)r->received, r->seconds, r->pps);
		return;
	}
	if (!o->sink) {
		printf("  sent       %llu packets in %.3f s: %.0f pps, %.1f Mbit/s of RTP "
		       "(%u thread%s)\n", (unsigned long long)r->sent, r->seconds, r->pps,
		       r->bps / 1e6, o->threads, o->threads == 1 ? "" : "s");
		return;
	}
	printf("  received   %llu packets (%u of %u flows), %llu foreign\n",
	       (unsigned long long)r->received, r->flows_seen, r->nflows,
	       (unsigned long long)r->foreign);
	printf("  lost       %llu (%.3f %%, from sequence gaps)\n",
	       (unsigned long long)r->lost, loss);
	printf("  reordered  %llu (arrived after a later packet of their flow)\n",
	       (unsigned long long)r->reordered);
	printf("  rate       %.0f pps, %.1f Mbit/s of RTP over %.3f s (first to last packet)\n",
	       r->pps, r->bps / 1e6, r->seconds);
	if (r->hist_n)
		printf("  latency    p50 %.0f us, p90 %.0f us, p99 %.0f us (one-way, %llu samples)\n",
		       p50, p90, p99, (unsigned long long)r->hist_n);
	if (r->per_flow) {
		printf("  %10s %12s %10s %10s\n", "flow", "received", "lost", "reordered");
		for (uint32_t i = 0; i < r->nflows; i++) {
			const struct rf_sink_flow *f = &r->per_flow[i];

			printf("  %10u %12llu %10llu %10llu\n", i, (unsigned long long)f->packets,
			       (unsigned long long)rf_flow_lost(f),
			       (unsigned long long)f->reordered);
		}
	}
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

static int
parse_u64(const char *name, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "rtpflood: --%s wants a number in %llu..%llu, not %s\n", name,
			(unsigned long long)lo, (unsigned long long)hi, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static void
on_signal(int sig)
{
	rf_stop = 1;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "dst", required_argument, NULL, 'd' },
		{ "dst-step", required_argument, NULL, 'D' },
		{ "dst-file", required_argument, NULL, 'F' },
		{ "src", required_argument, NULL, 's' },
		{ "bind", required_argument, NULL, 's' },
		{ "src-step", required_argument, NULL, 'S' },
		{ "flows", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 'z' },
		{ "rate", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "dev", required_argument, NULL, 'i' },
		{ "dst-mac", required_argument, NULL, 'M' },
		{ "ports", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "flow-rate", required_argument, NULL, 'R' },
		{ "threads", required_argument, NULL, 'T' },
		{ "pt", required_argument, NULL, 'P' },
		{ "per-flow", no_argument, NULL, 'f' },
		{ "reorder", required_argument, NULL, 'O' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct rf_opts o = {
		.dst_step = 2, .src_step = 0, .nflows = 1, .size = 200, .duration = 10,
		.batch = 64, .threads = 1,
	};
	bool have_rate = false, have_dst = false, have_threads = false;
	struct rf_result *r;
	struct sigaction sa;
	uint64_t v;
	int c, err;

	if (argc < 2 || (strcmp(argv[1], "gen") && strcmp(argv[1], "sink") &&
			 strcmp(argv[1], "fwd"))) {
		usage(argc > 1 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc > 1 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	o.sink = !strcmp(argv[1], "sink");
	o.fwd = !strcmp(argv[1], "fwd");
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "hjv", lopts, NULL)) != -1) {
		err = 0;
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "xdp")) {
				o.xdp = true;
			} else if (strcmp(optarg, "udp")) {
				fprintf(stderr, "rtpflood: --mode is udp or xdp, not %s\n", optarg);
				return 2;
			}
			break;
		case 'd':
			snprintf(o.dst, sizeof(o.dst), "%s", optarg);
			have_dst = true;
			break;
		case 'D':
			err = parse_u64("dst-step", optarg, 0, 65535, &v);
			o.dst_step = (int)v;
			break;
		case 'F':
			snprintf(o.dst_file, sizeof(o.dst_file), "%s", optarg);
			have_dst = true;
			break;
		case 's':
			snprintf(o.src, sizeof(o.src), "%s", optarg);
			break;
		case 'S':
			err = parse_u64("src-step", optarg, 0, 65535, &v);
			o.src_step = (int)v;
			break;
		case 'n':
			err = parse_u64("flows", optarg, 1, RF_MAX_FLOWS, &v);
			o.nflows = (uint32_t)v;
			break;
		case 'z':
			/* the stamp must fit; an IPv4 frame must fit a 1500-byte MTU */
			err = parse_u64("size", optarg, sizeof(struct rf_stamp), 1400, &v);
			o.size = (uint32_t)v;
			break;
		case 'P':
			err = parse_u64("pt", optarg, 0, 127, &v);
			o.pt = (uint8_t)v;
			break;
		case 'r':
			err = parse_u64("rate", optarg, 1, 100000000, &v);
			o.rate = v;
			have_rate = true;
			break;
		case 'R':
			err = parse_u64("flow-rate", optarg, 1, 100000000, &v);
			o.flow_rate = v;
			break;
		case 'T':
			err = parse_u64("threads", optarg, 1, RF_MAX_THREADS, &v);
			o.threads = (uint32_t)v;
			have_threads = true;
			break;
		case 'f':
			o.per_flow = true;
			break;
		case 'O':
			err = parse_u64("reorder", optarg, 2, 1000000, &v);
			o.reorder = (uint32_t)v;
			break;
		case 'c':
			err = parse_u64("count", optarg, 0, UINT64_MAX, &v);
			o.count = v;
			break;
		case 't': {
			char *end;

			errno = 0;
			o.duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o.duration >= 0.1) ||
			    o.duration > 86400) {
				fprintf(stderr, "rtpflood: --duration wants seconds in 0.1..86400, "
					"not %s\n", optarg);
				return 2;
			}
			break;
		}
		case 'b':
			err = parse_u64("batch", optarg, 1, 256, &v);
			o.batch = (uint32_t)v;
			break;
		case 'i':
			snprintf(o.dev, sizeof(o.dev), "%s", optarg);
			break;
		case 'o':
			snprintf(o.out, sizeof(o.out), "%s", optarg);
			break;
		case 'M':
			if (parse_mac(optarg, o.dst_mac)) {
				fprintf(stderr, "rtpflood: --dst-mac wants xx:xx:xx:xx:xx:xx, not %s\n",
					optarg);
				return 2;
			}
			o.have_dst_mac = true;
			break;
		case 'p': {
			unsigned lo, hi;
			char tail;

			if (sscanf(optarg, "%u-%u%c", &lo, &hi, &tail) != 2 || lo == 0 || lo > hi ||
			    hi > 65535) {
				fprintf(stderr, "rtpflood: --ports wants LO-HI within 1-65535, LO <= HI, "
					"not %s\n", optarg);
				return 2;
			}
			o.port_lo = lo;
			o.port_hi = hi;
			break;
		}
		case 'j':
			o.json = true;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (err)	/* parse_u64 said which option and why */
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "rtpflood: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	/* Combinations that make no sense are refused before anything starts. */
	if (have_rate && o.flow_rate) {
		fprintf(stderr, "rtpflood: give --rate (in all) or --flow-rate (per flow), not both\n");
		return 2;
	}
	if (o.flow_rate) {
		if (o.flow_rate * (uint64_t)o.nflows > 100000000) {
			fprintf(stderr, "rtpflood: --flow-rate %llu x --flows %u is over 100 Mpps\n",
				(unsigned long long)o.flow_rate, o.nflows);
			return 2;
		}
		o.rate = o.flow_rate * o.nflows;
	}
	if (!o.sink && !o.fwd) {
		if (!have_dst) {
			fprintf(stderr, "rtpflood: gen needs --dst ADDR:PORT or --dst-file FILE\n");
			return 2;
		}
		if (o.dst[0] && o.dst_file[0]) {
			fprintf(stderr, "rtpflood: give --dst or --dst-file, not both\n");
			return 2;
		}
		if (o.threads > o.nflows) {
			fprintf(stderr, "rtpflood: --threads %u is more than --flows %u (a flow "
				"belongs to one thread)\n", o.threads, o.nflows);
			return 2;
		}
		if (o.rate && o.rate < o.threads) {
			fprintf(stderr, "rtpflood: --rate %llu is less than a packet per second per "
				"thread\n", (unsigned long long)o.rate);
			return 2;
		}
		if (!o.dst_file[0] && o.dst_step &&
		    (uint64_t)(o.nflows - 1) * (uint64_t)o.dst_step > 65535) {
			fprintf(stderr, "rtpflood: --flows %u x --dst-step %d passes the 65535 ports "
				"of one address (use --dst-file for more)\n", o.nflows, o.dst_step);
			return 2;
		}
		if (o.per_flow) {
			fprintf(stderr, "rtpflood: --per-flow is a sink option\n");
			return 2;
		}
		if (o.xdp && !o.dev[0]) {
			fprintf(stderr, "rtpflood: gen --mode xdp needs --dev IFNAME\n");
			return 2;
		}
		if (o.xdp && o.reorder) {
			fprintf(stderr, "rtpflood: --reorder is for gen --mode udp\n");
			return 2;
		}
	} else {
		if (have_threads || have_rate || o.flow_rate) {
			fprintf(stderr, "rtpflood: --threads, --rate and --flow-rate are gen options\n");
			return 2;
		}
		if (o.sink && o.xdp && !o.dev[0]) {
			fprintf(stderr, "rtpflood: sink --mode xdp needs --dev IFNAME\n");
			return 2;
		}
		if (o.sink && !o.xdp && !o.src[0]) {
			fprintf(stderr, "rtpflood: sink --mode udp needs --bind ADDR:PORT\n");
			return 2;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	r = calloc(1, sizeof(*r));
	if (!r)
		return 1;
	r->role = o.fwd ? "fwd" : o.sink ? "sink" : "gen";
	r->mode = o.xdp || o.fwd ? "xdp" : "udp";
	r->nflows = o.nflows;
	if (o.fwd)
		err = rf_fwd_xdp(&o, r);
	else if (o.sink)
		err = o.xdp ? rf_sink_xdp(&o, r) : rf_sink_udp(&o, r);
	else
		err = o.xdp ? rf_gen_xdp(&o, r) : rf_gen_udp(&o, r);
	if (err) {
		free(r);
		return 1;
	}
	report(&o, r);
	free(r->per_flow);
	free(r);
	return 0;
}
