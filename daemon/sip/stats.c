// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - SIP message counters (stats.h): requests by method, responses
 * by status code, each received and sent.  Plain arrays of uint64_t bumped
 * with relaxed atomic adds from the worker threads; a reader may see one
 * counter a message ahead of another, never a torn value.
 */
#include <string.h>

#include "sip/msg.h"
#include "sip/stats.h"

#define NMETHODS	(SIP_METHOD_UPDATE + 1)	/* index 0: any other method */
#define CODE_LO		100
#define CODE_HI		699
#define NCODES		(CODE_HI - CODE_LO + 1)

struct sip_stats_dir_cnt {
	uint64_t	req[NMETHODS];
	uint64_t	resp[NCODES];
};

static struct sip_stats_dir_cnt cnt[SIP_STATS__DIRS];

static const char *const dir_names[SIP_STATS__DIRS] = { "rx", "tx" };

static void
count_req(enum sip_stats_dir d, enum sip_method m)
{
	if ((int)m < 0 || m >= NMETHODS)
		m = SIP_METHOD_UNKNOWN;
	__atomic_fetch_add(&cnt[d].req[m], 1, __ATOMIC_RELAXED);
}

static void
count_resp(enum sip_stats_dir d, int code)
{
	if (code >= CODE_LO && code <= CODE_HI)
		__atomic_fetch_add(&cnt[d].resp[code - CODE_LO], 1, __ATOMIC_RELAXED);
}

void
sip_stats_rx(const struct sip_msg *m)
{
	if (m->is_request)
		count_req(SIP_STATS_RX, m->method);
	else
		count_resp(SIP_STATS_RX, m->status);
}

void
sip_stats_tx(const void *buf, size_t len)
{
	const char *p = buf, *sp;

	if (len > 12 && memcmp(p, "SIP/2.0 ", 8) == 0) {
		int code = 0;

		for (int i = 8; i < 11 && p[i] >= '0' && p[i] <= '9'; i++)
			code = code * 10 + (p[i] - '0');
		count_resp(SIP_STATS_TX, code);
		return;
	}
	sp = memchr(p, ' ', len < 32 ? len : 32);
	count_req(SIP_STATS_TX, sp ? sip_method_from_str(sip_str_mk(p, (int)(sp - p)))
				   : SIP_METHOD_UNKNOWN);
}

static const char *
method_label(int m)
{
	return m == SIP_METHOD_UNKNOWN ? "other" : sip_method_name((enum sip_method)m);
}

static uint64_t
load(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

json_t *
sip_msg_stats_json(void)
{
	json_t *o = json_object();

	for (int d = 0; o && d < SIP_STATS__DIRS; d++) {
		json_t *req = json_object(), *resp = json_object(), *cls = json_object();
		uint64_t classes[6] = { 0 };
		char key[8];

		for (int m = 1; m <= NMETHODS; m++) {	/* "other" last */
			int i = m % NMETHODS;

			json_object_set_new(req, method_label(i),
					    json_integer((json_int_t)load(&cnt[d].req[i])));
		}
		for (int c = 0; c < NCODES; c++) {
			uint64_t v = load(&cnt[d].resp[c]);

			if (!v)
				continue;
			snprintf(key, sizeof(key), "%d", c + CODE_LO);
			json_object_set_new(resp, key, json_integer((json_int_t)v));
			classes[(c + CODE_LO) / 100 - 1] += v;
		}
		for (int k = 0; k < 6; k++) {
			snprintf(key, sizeof(key), "%dxx", k + 1);
			json_object_set_new(cls, key, json_integer((json_int_t)classes[k]));
		}
		json_object_set_new(o, dir_names[d], json_pack("{s:o, s:o, s:o}", "requests", req,
							       "responses", resp, "classes", cls));
	}
	return o;
}

void
sip_msg_stats_metrics(FILE *f)
{
	fprintf(f, "# HELP xrelay_sip_requests_total SIP requests by direction (rx received, "
		"tx sent) and method\n# TYPE xrelay_sip_requests_total counter\n");
	for (int d = 0; d < SIP_STATS__DIRS; d++)
		for (int m = 1; m <= NMETHODS; m++)
			fprintf(f, "xrelay_sip_requests_total{direction=\"%s\",method=\"%s\"} "
				"%llu\n", dir_names[d], method_label(m % NMETHODS),
				(unsigned long long)load(&cnt[d].req[m % NMETHODS]));
	fprintf(f, "# HELP xrelay_sip_responses_total SIP responses by direction (rx received, "
		"tx sent) and status code (codes seen so far)\n"
		"# TYPE xrelay_sip_responses_total counter\n");
	for (int d = 0; d < SIP_STATS__DIRS; d++)
		for (int c = 0; c < NCODES; c++) {
			uint64_t v = load(&cnt[d].resp[c]);

			if (v)
				fprintf(f, "xrelay_sip_responses_total{direction=\"%s\",code=\"%d\"}"
					" %llu\n", dir_names[d], c + CODE_LO,
					(unsigned long long)v);
		}
}

void
sip_stats_reset(void)
{
	for (int d = 0; d < SIP_STATS__DIRS; d++) {
		for (int m = 0; m < NMETHODS; m++)
			__atomic_store_n(&cnt[d].req[m], 0, __ATOMIC_RELAXED);
		for (int c = 0; c < NCODES; c++)
			__atomic_store_n(&cnt[d].resp[c], 0, __ATOMIC_RELAXED);
	}
}
