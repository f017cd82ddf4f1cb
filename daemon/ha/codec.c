// SPDX-License-Identifier: GPL-2.0
/*
 * codec.c - the JSON documents daemon/ha/ keeps in Redis, one per object:
 * a media session, a call (its dialog and its streams), an AOR's bindings.
 * Pure functions (no Redis, no tables): encode a copy the owner made,
 * decode into the structs the owners restore from.  Addresses are
 * ["ip", port]; times that must survive a reboot or another host are
 * CLOCK_REALTIME milliseconds.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ha/ha_int.h"

/* ---- addresses ------------------------------------------------------------ */

static json_t *
enc_sa(const union xr_sa *sa)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa.sa_family != AF_INET && sa->sa.sa_family != AF_INET6)
		return json_null();
	return json_pack("[s, i]", xr_sa_ipstr(sa, ip, sizeof(ip)), (int)xr_sa_port(sa));
}

/* null or absent: family 0.  0 or -EINVAL. */
static int
dec_sa(json_t *j, union xr_sa *sa)
{
	json_int_t port;

	memset(sa, 0, sizeof(*sa));
	if (!j || json_is_null(j))
		return 0;
	if (!json_is_array(j) || json_array_size(j) != 2 ||
	    !json_is_string(json_array_get(j, 0)) || !json_is_integer(json_array_get(j, 1)))
		return -EINVAL;
	port = json_integer_value(json_array_get(j, 1));
	if (port < 0 || port > 65535 ||
	    xr_sa_parse_ip(sa, json_string_value(json_array_get(j, 0))) < 0)
		return -EINVAL;
	xr_sa_set_port(sa, (uint16_t)port);
	return 0;
}

static uint64_t
dec_u64(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ?
	       (uint64_t)json_integer_value(v) : 0;
}

/* A string member into buf (cap bytes); absent: "".  -E2BIG when it does not fit. */
static int
dec_str(json_t *o, const char *key, char *buf, size_t cap)
{
	const char *s = json_string_value(json_object_get(o, key));

	buf[0] = '\0';
	if (!s)
		return 0;
	if (strlen(s) >= cap)
		return -E2BIG;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

/* ---- media sessions --------------------------------------------------------- */

json_t *
ha_enc_media(const struct media_session_info *mi)
{
	json_t *sides = json_array();

	for (int sd = 0; sd < 2; sd++) {
		const struct media_side_info *x = &mi->side[sd];

		json_array_append_new(sides, json_pack("{s:o, s:o, s:o, s:o, s:o, s:i}",
			"local", enc_sa(&x->local_rtp), "remote", enc_sa(&x->remote_rtp),
			"remote_rtcp", enc_sa(&x->remote_rtcp), "latched", enc_sa(&x->latched_rtp),
			"latched_rtcp", enc_sa(&x->latched_rtcp), "dir", (int)x->dir));
	}
	return json_pack("{s:I, s:I, s:o}", "id", (json_int_t)mi->id,
			 "created_ms", (json_int_t)mi->created_ms, "sides", sides);
}

int
ha_dec_media(json_t *j, struct media_session_info *mi)
{
	json_t *sides = json_object_get(j, "sides");

	memset(mi, 0, sizeof(*mi));
	mi->id = dec_u64(j, "id");
	mi->created_ms = dec_u64(j, "created_ms");
	if (!mi->id || !json_is_array(sides) || json_array_size(sides) != 2)
		return -EINVAL;
	for (int sd = 0; sd < 2; sd++) {
		struct media_side_info *x = &mi->side[sd];
		json_t *o = json_array_get(sides, (size_t)sd);
		json_int_t dir = json_integer_value(json_object_get(o, "dir"));

		if (dec_sa(json_object_get(o, "local"), &x->local_rtp) < 0 ||
		    dec_sa(json_object_get(o, "remote"), &x->remote_rtp) < 0 ||
		    dec_sa(json_object_get(o, "remote_rtcp"), &x->remote_rtcp) < 0 ||
		    dec_sa(json_object_get(o, "latched"), &x->latched_rtp) < 0 ||
		    dec_sa(json_object_get(o, "latched_rtcp"), &x->latched_rtcp) < 0 ||
		    !x->local_rtp.sa.sa_family || dir < MEDIA_SENDRECV || dir > MEDIA_INACTIVE)
			return -EINVAL;
		x->dir = (enum media_dir)dir;
	}
	return 0;
}

/* ---- calls ------------------------------------------------------------------ */

/* The string fields of a dialog kept in its document, by name. */
static const struct {
	const char	*key;
	size_t		 off, size;
} call_strs[] = {
#define S(f)	{ #f, offsetof(struct dlg_info, f), sizeof(((struct dlg_info *)0)->f) }
	S(callid), S(from_tag), S(to_tag), S(from_hdr), S(to_hdr), S(caller_uri),
	S(callee_uri), S(caller_contact), S(callee_contact), S(caller_routes),
	S(callee_routes),
#undef S
};

static json_t *
enc_dest(const struct sip_dest *d)
{
	return json_pack("{s:o, s:i, s:i}", "addr", enc_sa(&d->addr), "tp", (int)d->tp,
			 "sock", d->sock);
}

/* A TCP connection does not outlive the process: conn_id 0 (find one or connect). */
static int
dec_dest(json_t *j, struct sip_dest *d)
{
	json_int_t tp = json_integer_value(json_object_get(j, "tp"));

	memset(d, 0, sizeof(*d));
	if (!json_is_object(j) || dec_sa(json_object_get(j, "addr"), &d->addr) < 0 ||
	    (tp != SIP_TP_UDP && tp != SIP_TP_TCP))
		return -EINVAL;
	d->tp = (enum sip_tp)tp;
	d->sock = (int)json_integer_value(json_object_get(j, "sock"));
	if (d->sock < -1 || d->sock >= XR_MAX_ADDRS)
		d->sock = -1;
	return 0;
}

json_t *
ha_enc_call(const struct dlg_info *di, const struct cm_saved *cs)
{
	json_t *o, *st = json_array();
	char ip[INET6_ADDRSTRLEN];

	for (int i = 0; i < cs->nstreams; i++)
		json_array_append_new(st, json_pack("{s:s, s:I, s:b}", "type", cs->st[i].type,
						    "sid", (json_int_t)cs->st[i].sid,
						    "a_is_caller", cs->st[i].a_is_caller));
	o = json_pack("{s:I, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:i, s:o, s:s}",
		      "id", (json_int_t)di->id, "state", dlg_state_name(di->state),
		      "caller_dest", enc_dest(&di->caller_dest),
		      "callee_dest", enc_dest(&di->callee_dest),
		      "cseq_caller", (json_int_t)di->cseq_caller,
		      "cseq_callee", (json_int_t)di->cseq_callee,
		      "created", (json_int_t)di->created, "answered", (json_int_t)di->answered,
		      "last_code", di->last_code, "streams", st,
		      "relay", cs->relay.sa.sa_family ? xr_sa_ipstr(&cs->relay, ip, sizeof(ip)) : "");
	if (!o)
		return NULL;
	for (size_t i = 0; i < sizeof(call_strs) / sizeof(call_strs[0]); i++)
		json_object_set_new(o, call_strs[i].key,
				    json_string((const char *)di + call_strs[i].off));
	return o;
}

int
ha_dec_call(json_t *j, struct dlg_info *di, struct cm_saved *cs)
{
	const char *state = json_string_value(json_object_get(j, "state"));
	const char *relay = json_string_value(json_object_get(j, "relay"));
	json_t *st = json_object_get(j, "streams"), *s;
	size_t i;

	memset(di, 0, sizeof(*di));
	memset(cs, 0, sizeof(*cs));
	di->id = dec_u64(j, "id");
	if (!di->id || !state || !json_is_array(st) || json_array_size(st) > CM_SAVED_MAX)
		return -EINVAL;
	di->state = strcmp(state, "confirmed") == 0 ? DLG_CONFIRMED :
		    strcmp(state, "early") == 0 ? DLG_EARLY : DLG_INIT;
	for (i = 0; i < sizeof(call_strs) / sizeof(call_strs[0]); i++)
		if (dec_str(j, call_strs[i].key, (char *)di + call_strs[i].off,
			    call_strs[i].size) < 0)
			return -EINVAL;
	if (!di->callid[0] || !di->from_tag[0] ||
	    dec_dest(json_object_get(j, "caller_dest"), &di->caller_dest) < 0 ||
	    dec_dest(json_object_get(j, "callee_dest"), &di->callee_dest) < 0)
		return -EINVAL;
	di->cseq_caller = (uint32_t)dec_u64(j, "cseq_caller");
	di->cseq_callee = (uint32_t)dec_u64(j, "cseq_callee");
	di->created = dec_u64(j, "created");
	di->answered = dec_u64(j, "answered");
	di->last_code = (int)dec_u64(j, "last_code");
	if (relay && *relay && xr_sa_parse_ip(&cs->relay, relay) < 0)
		return -EINVAL;
	json_array_foreach(st, i, s) {
		if (dec_str(s, "type", cs->st[i].type, sizeof(cs->st[i].type)) < 0)
			return -EINVAL;
		cs->st[i].sid = dec_u64(s, "sid");
		cs->st[i].a_is_caller = json_is_true(json_object_get(s, "a_is_caller"));
	}
	cs->nstreams = (int)json_array_size(st);
	return 0;
}

/* ---- registrations ------------------------------------------------------------ */

json_t *
ha_enc_reg(const char *aor, const struct loc_binding *b, int n, uint64_t mono_now,
	   uint64_t real_now, uint64_t *last_real)
{
	json_t *arr = json_array();

	*last_real = 0;
	for (int i = 0; i < n; i++) {
		uint64_t exp = real_now + (b[i].expires_ms > mono_now ?
					   b[i].expires_ms - mono_now : 0);

		if (exp > *last_real)
			*last_real = exp;
		json_array_append_new(arr, json_pack("{s:s, s:i, s:I, s:s, s:I, s:o, s:i, s:i}",
			"contact", b[i].contact, "q", b[i].q, "expires_at_ms", (json_int_t)exp,
			"callid", b[i].callid, "cseq", (json_int_t)b[i].cseq,
			"received", enc_sa(&b[i].received), "tp", b[i].tp, "sock", b[i].sock));
	}
	return json_pack("{s:s, s:o}", "aor", aor, "bindings", arr);
}

int
ha_dec_reg(json_t *j, char *aor, size_t aor_cap, struct loc_binding *b, int max,
	   uint64_t mono_now, uint64_t real_now)
{
	json_t *arr = json_object_get(j, "bindings"), *o;
	size_t i;
	int n = 0;

	if (dec_str(j, "aor", aor, aor_cap) < 0 || !aor[0] || !json_is_array(arr))
		return -EINVAL;
	json_array_foreach(arr, i, o) {
		uint64_t exp = dec_u64(o, "expires_at_ms");

		if (n == max)
			break;
		if (exp <= real_now)
			continue;	/* expired while no one was looking */
		memset(&b[n], 0, sizeof(b[n]));
		if (dec_str(o, "contact", b[n].contact, sizeof(b[n].contact)) < 0 ||
		    dec_str(o, "callid", b[n].callid, sizeof(b[n].callid)) < 0 ||
		    dec_sa(json_object_get(o, "received"), &b[n].received) < 0 || !b[n].contact[0])
			return -EINVAL;
		b[n].q = json_is_integer(json_object_get(o, "q")) ?
			 (int)json_integer_value(json_object_get(o, "q")) : -1;
		b[n].cseq = (uint32_t)dec_u64(o, "cseq");
		b[n].expires_ms = mono_now + (exp - real_now);
		b[n].updated_ms = mono_now;
		b[n].tp = (int)dec_u64(o, "tp");
		b[n].sock = json_is_integer(json_object_get(o, "sock")) ?
			    (int)json_integer_value(json_object_get(o, "sock")) : -1;
		n++;
	}
	return n;
}
