// SPDX-License-Identifier: GPL-2.0
/*
 * proxy_ctl.c - the proxy's control commands: "regs" (the location
 * service), "calls", "call.show", "call.kill" (the call records), and
 * "proxy.stats", the SIP side's numbers also behind `xrelayctl stats` and
 * /metrics.  They run on the control thread and read the tables under RCU.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

#include "ctl/commands.h"
#include "ctl/ctl.h"
#include "proxy/call_media.h"
#include "proxy/proxy.h"
#include "proxy/proxy_int.h"

static void
regs_cb(const char *aor, const struct loc_binding *b, int n, void *arg)
{
	uint64_t now = loc_now_ms();
	char a[XR_SA_STRLEN];
	json_t *arr = arg;
	int i;

	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "aor", json_string(aor));
		json_object_set_new(o, "contact", json_string(b[i].contact));
		json_object_set_new(o, "expires",
				    json_integer((json_int_t)((b[i].expires_ms - now) / 1000)));
		json_object_set_new(o, "q", b[i].q < 0 ? json_null() :
				    json_real(b[i].q / 1000.0));
		json_object_set_new(o, "received", json_string(b[i].received.sa.sa_family ?
				    xr_sa_str(&b[i].received, a, sizeof(a)) : "-"));
		json_object_set_new(o, "transport", json_string(b[i].tp == SIP_TP_TCP ?
				    "tcp" : "udp"));
		json_object_set_new(o, "call_id", json_string(b[i].callid));
		json_object_set_new(o, "cseq", json_integer(b[i].cseq));
		json_array_append_new(arr, o);
	}
}

static int
ctl_regs(json_t *args, json_t **result, char *err, size_t errlen)
{
	json_t *arr = json_array();

	loc_walk(loc_now_ms(), regs_cb, arr);
	*result = json_pack("{s:o}", "regs", arr);
	return 0;
}

static const char *
px_branch_state(const struct dlg_branch *b)
{
	if (b->code == 0)
		return "calling";
	if (b->code < 200)
		return b->code == 100 ? "trying" : "ringing";
	if (b->code < 300)
		return "answered";
	if (b->cancelled && b->code == 487)
		return "cancelled";
	return b->code == 408 ? "timeout" : "failed";
}

/*
 * A call for `calls` (full: false) and `call show` (full: true): the
 * parties, the dialog, its branches, and each media stream with its relay
 * ports and what went through the kernel and userspace paths.
 */
static json_t *
dlg_json(const struct dlg_info *di, struct dlg *d, bool full)
{
	time_t now = time(NULL);
	json_t *o = json_object(), *br;
	char a[XR_SA_STRLEN];
	int i;

	json_object_set_new(o, "id", json_integer((json_int_t)di->id));
	json_object_set_new(o, "state", json_string(dlg_state_name(di->state)));
	json_object_set_new(o, "callid", json_string(di->callid));
	json_object_set_new(o, "caller", json_string(di->caller_uri));
	json_object_set_new(o, "callee", json_string(di->callee_uri));
	json_object_set_new(o, "created", json_integer((json_int_t)di->created));
	json_object_set_new(o, "answered", json_integer((json_int_t)di->answered));
	json_object_set_new(o, "age", json_integer((json_int_t)(now - (time_t)di->created)));
	json_object_set_new(o, "streams", json_integer(cm_streams(dlg_cm(d))));
	if (!full)
		return o;
	json_object_set_new(o, "from_tag", json_string(di->from_tag));
	json_object_set_new(o, "to_tag", json_string(di->to_tag));
	json_object_set_new(o, "caller_contact", json_string(di->caller_contact));
	json_object_set_new(o, "callee_contact", json_string(di->callee_contact));
	json_object_set_new(o, "caller_addr", json_string(di->caller_dest.addr.sa.sa_family ?
			    xr_sa_str(&di->caller_dest.addr, a, sizeof(a)) : "-"));
	json_object_set_new(o, "callee_addr", json_string(di->callee_dest.addr.sa.sa_family ?
			    xr_sa_str(&di->callee_dest.addr, a, sizeof(a)) : "-"));
	json_object_set_new(o, "last_code", json_integer(di->last_code));
	json_object_set_new(o, "cseq_caller", json_integer(di->cseq_caller));
	json_object_set_new(o, "cseq_callee", json_integer(di->cseq_callee));
	br = json_array();
	for (i = 0; i < di->nbranches; i++) {
		const struct dlg_branch *b = &di->br[i];

		json_array_append_new(br, json_pack("{s:s, s:s, s:i, s:o}",
			"uri", b->uri, "state", px_branch_state(b), "code", b->code,
			"to_tag", b->to_tag[0] ? json_string(b->to_tag) : json_null()));
	}
	json_object_set_new(o, "branches", br);
	json_object_set_new(o, "media", cm_json(dlg_cm(d)));
	return o;
}

static void
calls_cb(const struct dlg_info *di, struct dlg *d, void *arg)
{
	json_array_append_new(arg, dlg_json(di, d, false));
}

static int
ctl_calls(json_t *args, json_t **result, char *err, size_t errlen)
{
	json_t *arr = json_array();

	dlg_walk(calls_cb, arr);
	*result = json_pack("{s:o}", "calls", arr);
	return 0;
}

static int
ctl_id(json_t *args, uint64_t *id, char *err, size_t errlen)
{
	json_t *v = args ? json_object_get(args, "id") : NULL;

	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*id = (uint64_t)json_integer_value(v);
		return 0;
	}
	snprintf(err, errlen, "call id must be a positive number");
	return -EINVAL;
}

/*
 * The call args name ("id"): *id, its record *d (a reference, or NULL) and
 * a copy of it in *di (malloc'd, or NULL; the caller frees both).  0, or
 * -ENOMEM / -EINVAL / -ENOENT with the reason in err.
 */
static int
ctl_call_of(json_t *args, uint64_t *id, struct dlg_info **di, struct dlg **d, char *err,
	    size_t errlen)
{
	int rc;

	*d = NULL;
	*di = malloc(sizeof(**di));
	if (!*di)
		return -ENOMEM;
	rc = ctl_id(args, id, err, errlen);
	if (rc == 0 && dlg_get(*id, *di, d) < 0) {
		snprintf(err, errlen, "no call %" PRIu64, *id);
		rc = -ENOENT;
	}
	return rc;
}

static int
ctl_call_show(json_t *args, json_t **result, char *err, size_t errlen)
{
	struct dlg_info *di;
	struct dlg *d;
	uint64_t id;
	int rc = ctl_call_of(args, &id, &di, &d, err, errlen);

	if (rc == 0)
		*result = dlg_json(di, d, true);
	dlg_put(d);
	free(di);
	return rc;
}

static int
ctl_call_kill(json_t *args, json_t **result, char *err, size_t errlen)
{
	int rc, r1 = -ENOENT, r2 = -ENOENT;
	struct dlg_info *di;
	struct dlg *d;
	uint64_t id;

	rc = ctl_call_of(args, &id, &di, &d, err, errlen);
	if (rc == 0 && di->state != DLG_CONFIRMED) {
		/* Ringing: CANCEL the branches, 487 to the caller. */
		rc = px_kill_pending(d);
		if (rc < 0) {
			snprintf(err, errlen, "call %" PRIu64 " is %s and cannot be cancelled now",
				 id, dlg_state_name(di->state));
		} else {
			PX_INC(kills);
			*result = json_pack("{s:I, s:b, s:b, s:b}", "id", (json_int_t)id,
					    "cancelled", 1, "bye_callee", 0, "bye_caller", 0);
		}
	} else if (rc == 0) {
		px_end_call(di, "Call killed by operator", &r1, &r2);
		PX_INC(kills);
		*result = json_pack("{s:I, s:b, s:b, s:b}", "id", (json_int_t)id,
				    "cancelled", 0, "bye_callee", r1 == 0, "bye_caller", r2 == 0);
	}
	dlg_put(d);
	free(di);
	return rc;
}

/* Per SIP worker: UDP datagrams read and sent ([{"rx":N,"tx":N}, ...]). */
static json_t *
px_workers_json(void)
{
	struct sip_tp_worker_stats ws[64];
	json_t *a = json_array();
	int n = sip_tp_worker_stats(ws, 64);

	for (int i = 0; a && i < n && i < 64; i++)
		json_array_append_new(a, json_pack("{s:I, s:I}", "rx", (json_int_t)ws[i].rx,
						   "tx", (json_int_t)ws[i].tx));
	return a;
}

/*
 * How UDP is spread over the workers: "callid" (the SK_REUSEPORT program,
 * with what became of the datagrams it saw) or "kernel" (address hash).
 */
static json_t *
px_balance_json(void)
{
	uint64_t c[4];

	if (sip_tp_balance_stats(c) < 0)
		return json_pack("{s:s}", "mode", "kernel");
	return json_pack("{s:s, s:I, s:I, s:I, s:I}", "mode", "callid",
			 "by_callid", (json_int_t)c[0], "no_callid", (json_int_t)c[1],
			 "no_socket", (json_int_t)c[2], "no_group", (json_int_t)c[3]);
}

/*
 * The SIP side's numbers for `xrelayctl stats` and `metrics` (the hook of
 * ctl_set_sip_stats()) and for proxy.stats: transport counters, transactions
 * in flight, registrations, dialogs and the proxy's own counters.
 */
static json_t *
px_stats_json(void)
{
	/* The tables' sizes: one field per XR_SIP_GAUGE row. */
	struct {
#define XR_SIP_GAUGE(field, metric, help)	json_int_t field;
#include "sip/counters.def"
	} g;
	json_t *o = json_object(), *tpo = json_object();
	struct sip_tp_stats tp;
	int naors, nb;

	if (!o || !tpo) {
		json_decref(o);
		json_decref(tpo);
		return NULL;
	}
	sip_tp_stats(&tp);
	loc_count(loc_now_ms(), &naors, &nb);
	g.transactions = (json_int_t)txn_count();
	g.transactions_compact = (json_int_t)txn_compact_count();
	g.transaction_slots = (json_int_t)txn_slots();
	g.aors = naors;
	g.bindings = nb;
	g.dialogs = (json_int_t)dlg_count();
#define XR_SIP_TP(field, type, metric, help) \
	json_object_set_new(tpo, #field, json_integer((json_int_t)tp.field));
#include "sip/counters.def"
	json_object_set_new(o, "transport", tpo);
#define XR_SIP_GAUGE(field, metric, help) \
	json_object_set_new(o, #field, json_integer(g.field));
#define XR_PX(field, key, metric, help) \
	json_object_set_new(o, key, json_integer((json_int_t)	\
			    __atomic_load_n(&px_stats.field, __ATOMIC_RELAXED)));
#include "sip/counters.def"
	json_object_set_new(o, "workers", px_workers_json());
	json_object_set_new(o, "balance", px_balance_json());
	/* The access policy: refusals, challenges, table sizes (never a hash). */
	json_object_set_new(o, "access", access_stats_json());
	return o;
}

static int
ctl_proxy_stats(json_t *args, json_t **result, char *err, size_t errlen)
{
	*result = px_stats_json();
	if (!*result) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Register the commands and the stats hook. */
void
px_ctl_init(void)
{
	if (ctl_register("regs", ctl_regs, "registered contacts") < 0 ||
	    ctl_register("calls", ctl_calls, "calls in progress") < 0 ||
	    ctl_register("call.show", ctl_call_show, "one call in detail") < 0 ||
	    ctl_register("call.kill", ctl_call_kill, "end a call (BYE both ways)") < 0 ||
	    ctl_register("proxy.stats", ctl_proxy_stats, "proxy and registrar counters") < 0)
		log_warnx("proxy: cannot register every control command");
	ctl_set_sip_stats(px_stats_json);
}

void
px_ctl_fini(void)
{
	ctl_set_sip_stats(NULL);
}
