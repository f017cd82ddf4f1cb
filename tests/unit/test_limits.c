// SPDX-License-Identifier: GPL-2.0
/*
 * test_limits.c - the bounds of issue 14 without the network: the limit
 * arithmetic of proxy/limits.c (reserve, target cut), the per-source quota
 * (guard/quota.c), the failed-authentication ban (guard/authfail.c) over
 * the blocklist on a fake clock, --max-registrations in the location
 * service (only adding is refused, expired bindings count until swept),
 * --max-calls in the dialog table (exact, places given back), and the media
 * bounds call_media.c asks for (--max-streams: -ERANGE before any session;
 * a refused quota: -EDQUOT, nothing created), and the sweep of call records
 * never answered (only those older than the bound, never one made after
 * the sweep read its clock).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <urcu.h>

#include "common/clock.h"

#include "guard/authfail.h"
#include "guard/ban.h"
#include "guard/quota.h"
#include "proxy/call_media.h"
#include "proxy/proxy_int.h"

static union xr_sa
A(const char *s)
{
	union xr_sa sa;

	assert_int_equal(xr_sa_parse(&sa, s, 0), 0);
	return sa;
}

static void
test_over_limit(void **state)
{
	(void)state;
	assert_false(px_over_limit(1000000, 0, false));	/* 0: no bound */
	assert_false(px_over_limit(9, 10, false));
	assert_true(px_over_limit(10, 10, false));
	assert_true(px_over_limit(11, 10, false));
	/* An eighth more (at least one) for what ends state. */
	assert_false(px_over_limit(10, 10, true));
	assert_true(px_over_limit(11, 10, true));
	assert_false(px_over_limit(88, 80, true));
	assert_true(px_over_limit(90, 80, true));
	assert_int_equal(px_cap_targets(16, 8), 8);
	assert_int_equal(px_cap_targets(3, 8), 3);
	assert_int_equal(px_cap_targets(16, 0), 16);
}

static void
test_quota(void **state)
{
	struct quota *q = quota_new(4);
	union xr_sa a = A("192.0.2.1:5060"), a2 = A("192.0.2.1:7000"), b = A("[2001:db8::1]:5060");

	(void)state;
	assert_non_null(q);
	assert_int_equal(quota_take(q, &a, 2), 0);
	assert_int_equal(quota_take(q, &a2, 2), 0);		/* the port does not count */
	assert_int_equal(quota_take(q, &a, 2), -EDQUOT);
	assert_int_equal(quota_held(q, &a), 2);
	assert_int_equal(quota_take(q, &b, 2), 0);		/* another address: its own */
	assert_int_equal(quota_sources(q), 2);
	quota_put(q, &a);
	assert_int_equal(quota_take(q, &a, 2), 0);		/* one given back: one more */
	quota_put(q, &a);
	quota_put(q, &a);
	quota_put(q, &a);					/* none held: nothing happens */
	assert_int_equal(quota_held(q, &a), 0);
	assert_int_equal(quota_sources(q), 1);			/* its entry is gone */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(quota_take(q, &b, 0), 0);	/* max 0: no bound */
	assert_int_equal(quota_held(q, &b), 1001);
	quota_free(q);						/* with units still held */
}

static uint64_t fake_ns;

static uint64_t
fake_now(void)
{
	return fake_ns;
}

static bool
exempt_b(const union xr_sa *p, int plen, void *arg)
{
	union xr_sa b = A("10.0.0.2");

	(void)plen;
	(void)arg;
	return xr_sa_ip_eq(p, &b);
}

static int
ban_setup(void **state)
{
	(void)state;
	fake_ns = 5000ull * 1000000000ull;
	ban_set_clock(fake_now);
	assert_int_equal(ban_init(NULL), 0);
	ban_set_exempt(exempt_b, NULL);
	authfail_reset();
	return 0;
}

static int
ban_teardown(void **state)
{
	(void)state;
	ban_fini();
	authfail_reset();
	return 0;
}

static void
test_authfail(void **state)
{
	union xr_sa m = A("10.0.0.9:5062"), other = A("10.0.0.8"), b = A("10.0.0.2:5060");
	uint64_t t = 1000000;

	(void)state;
	/* Off: never counted, never banned. */
	assert_int_equal(authfail_note_at(&m, 0, 60, 300, t), 0);
	assert_int_equal(authfail_count(&m), 0);
	/* 3 within 60 s: the third bans (a /32), for 300 s. */
	assert_int_equal(authfail_note_at(&m, 3, 60, 300, t), 0);
	assert_int_equal(authfail_note_at(&m, 3, 60, 300, t + 1000), 0);
	assert_int_equal(authfail_count(&m), 2);
	assert_int_equal(authfail_note_at(&other, 3, 60, 300, t + 1000), 0);
	assert_false(ban_check(&m));
	assert_int_equal(authfail_note_at(&m, 3, 60, 300, t + 2000), 1);
	assert_true(ban_check(&m));
	assert_false(ban_check(&other));			/* only the offender */
	assert_int_equal(ban_count(), 1);
	assert_int_equal(authfail_count(&m), 0);		/* counted afresh */

	/* Failures spread wider than the window never add up (a window opens at a failure). */
	for (int i = 0; i < 10; i++)
		assert_int_equal(authfail_note_at(&other, 3, 60, 300, t + 70000 + i * 61000ull), 0);
	assert_false(ban_check(&other));

	/* A success forgets the failures. */
	assert_int_equal(authfail_note_at(&other, 3, 60, 300, t + 800000), 0);
	assert_int_equal(authfail_count(&other), 1);
	authfail_clear(&other);
	assert_int_equal(authfail_count(&other), 0);

	/* An exempt (trusted) source is never banned. */
	assert_int_equal(authfail_note_at(&b, 1, 60, 300, t), -EPERM);
	assert_false(ban_check(&b));
	/* --ban-time 0: counted, never banned. */
	assert_int_equal(authfail_note_at(&other, 1, 60, 0, t + 900000), 0);
	assert_false(ban_check(&other));

	/* The ban expires with --ban-time. */
	fake_ns += 301ull * 1000000000ull;
	assert_int_equal(ban_sweep(), 1);
	assert_false(ban_check(&m));
}

static struct loc_op
op(const char *c, int expires)
{
	return (struct loc_op){ .contact = c, .contact_len = strlen(c), .q = -1,
				.expires = expires };
}

static void
test_max_registrations(void **state)
{
	struct loc_src src = { .tp = 1, .sock = 0, .max_total = 3 };
	struct loc_op o1[2] = { op("sip:a@10.0.0.1", 60), op("sip:a@10.0.0.2", 60) };
	struct loc_op o2 = op("sip:b@10.0.0.3", 30), o3 = op("sip:c@10.0.0.4", 60);
	struct loc_op o3b[2] = { op("sip:c@10.0.0.4", 60), op("sip:c@10.0.0.5", 60) };
	uint64_t t = 1000000;

	(void)state;
	assert_int_equal(loc_init(NULL), 0);
	assert_int_equal(loc_apply("a@x", "c1", 1, o1, 2, false, &src, t), 0);
	assert_int_equal(loc_apply("b@x", "c2", 1, &o2, 1, false, &src, t), 0);
	assert_int_equal(loc_held(), 3);
	/* A fourth binding: refused, nothing changed. */
	assert_int_equal(loc_apply("c@x", "c3", 1, &o3, 1, false, &src, t), -EDQUOT);
	assert_int_equal(loc_held(), 3);
	/* A refresh (nothing added) and a removal always work. */
	assert_int_equal(loc_apply("a@x", "c1", 2, o1, 2, false, &src, t + 1000), 0);
	o1[1].expires = 0;
	assert_int_equal(loc_apply("a@x", "c1", 3, o1, 2, false, &src, t + 2000), 0);
	assert_int_equal(loc_held(), 2);
	assert_int_equal(loc_apply("c@x", "c3", 1, &o3, 1, false, &src, t + 2000), 0);
	assert_int_equal(loc_held(), 3);
	/* b's binding expired at t + 30 s but counts until the sweep removes it. */
	assert_int_equal(loc_apply("c@x", "c3", 2, o3b, 2, false, &src, t + 40000), -EDQUOT);
	assert_int_equal(loc_expire(t + 40000), 1);
	assert_int_equal(loc_held(), 2);
	assert_int_equal(loc_apply("c@x", "c3", 2, o3b, 2, false, &src, t + 40000), 0);
	assert_int_equal(loc_held(), 3);
	/* No bound without max_total. */
	src.max_total = 0;
	assert_int_equal(loc_apply("d@x", "c4", 1, &o2, 1, false, &src, t + 40000), 0);
	assert_int_equal(loc_held(), 4);
	assert_int_equal(loc_remove_aor("c@x", t + 40000), 2);
	assert_int_equal(loc_held(), 2);
	loc_fini();
	assert_int_equal(loc_held(), 0);
}

/* A parsed initial INVITE with Call-ID cid, and an SDP body of nm m= lines. */
static void
mk_invite(char *buf, size_t cap, struct sip_msg *m, const char *cid, int nm)
{
	char body[2048];
	struct sip_err e;
	size_t bl;
	int n;

	bl = (size_t)snprintf(body, sizeof(body), "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
			      "c=IN IP4 192.0.2.1\r\nt=0 0\r\n");
	for (int i = 0; i < nm; i++)
		bl += (size_t)snprintf(body + bl, sizeof(body) - bl,
				       "m=audio %d RTP/AVP 0\r\n", 4000 + 2 * i);
	n = snprintf(buf, cap, "INVITE sip:bob@example.com SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-%s\r\n"
		     "From: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\n"
		     "Call-ID: %s\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
		     "Contact: <sip:alice@192.0.2.1>\r\nContent-Type: application/sdp\r\n"
		     "Content-Length: %zu\r\n\r\n%s", cid, cid, bl, body);
	assert_true(n > 0 && (size_t)n < cap);
	memset(m, 0, sizeof(*m));
	assert_int_equal(sip_msg_parse(m, buf, (size_t)n, &e), 0);
}

static void
test_max_calls(void **state)
{
	static char buf[3][4096];
	static struct sip_msg m[3];
	struct sip_src src = { .peer = A("192.0.2.1:5060"), .tp = 1, .sock = 0 };
	struct dlg *d0, *d1, *d2;

	(void)state;
	assert_int_equal(dlg_init(), 0);
	mk_invite(buf[0], sizeof(buf[0]), &m[0], "call-0", 1);
	mk_invite(buf[1], sizeof(buf[1]), &m[1], "call-1", 1);
	mk_invite(buf[2], sizeof(buf[2]), &m[2], "call-2", 1);
	d0 = dlg_create(&m[0], &src, 2);
	d1 = dlg_create(&m[1], &src, 2);
	assert_non_null(d0);
	assert_non_null(d1);
	errno = 0;
	d2 = dlg_create(&m[2], &src, 2);
	assert_null(d2);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(dlg_count(), 2);			/* the refusal left no trace */
	/* A duplicate gives its reserved place back. */
	assert_null(dlg_create(&m[0], &src, 3));
	assert_int_equal(errno, EEXIST);
	assert_int_equal(dlg_count(), 2);
	dlg_end(d0);
	dlg_put(d0);
	d2 = dlg_create(&m[2], &src, 2);			/* one ended: room again */
	assert_non_null(d2);
	assert_int_equal(dlg_count(), 2);
	dlg_put(d1);
	dlg_put(d2);
	dlg_fini();
	assert_int_equal(dlg_count(), 0);
}

/*
 * dlg_sweep(now, max_age) drops records unanswered for max_age ms: not one
 * created after now (the sweeper reads its clock, then walks the table
 * while the workers add calls: such a record's age wrapped around and a
 * call just made lost its record and media), not an answered one.
 */
static void
test_dlg_sweep(void **state)
{
	static char buf[3][4096];
	static struct sip_msg m[3];
	struct sip_src src = { .peer = A("192.0.2.1:5060"), .tp = 1, .sock = 0 };
	struct dlg *d0, *d1, *d2;
	uint64_t before, t;
	bool fc;

	(void)state;
	assert_int_equal(dlg_init(), 0);
	mk_invite(buf[0], sizeof(buf[0]), &m[0], "sweep-0", 1);
	mk_invite(buf[1], sizeof(buf[1]), &m[1], "sweep-1", 1);
	mk_invite(buf[2], sizeof(buf[2]), &m[2], "sweep-2", 1);
	before = xr_mono_ms();
	while (xr_mono_ms() <= before)		/* at most 1 ms */
		;
	d0 = dlg_create(&m[0], &src, 0);
	d1 = dlg_create(&m[1], &src, 0);
	assert_non_null(d0);
	assert_non_null(d1);
	/* The sweep's clock was read before the calls were made: nothing to drop. */
	assert_int_equal(dlg_sweep(before, 200000), 0);
	assert_int_equal(dlg_count(), 2);
	t = xr_mono_ms();
	assert_int_equal(dlg_sweep(t, 200000), 0);		/* young */
	assert_int_equal(dlg_count(), 2);
	/* d1 answered (a 200 with a To tag): kept past the bound; d0 goes. */
	{
		static char rbuf[1024];
		struct sip_msg r = { 0 };
		struct sip_err e;
		int n = snprintf(rbuf, sizeof(rbuf), "SIP/2.0 200 OK\r\n"
				 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-sweep-1\r\n"
				 "From: <sip:alice@example.com>;tag=a1\r\n"
				 "To: <sip:bob@example.com>;tag=b1\r\nCall-ID: sweep-1\r\n"
				 "CSeq: 1 INVITE\r\nContact: <sip:bob@192.0.2.2>\r\n"
				 "Content-Length: 0\r\n\r\n");

		assert_int_equal(sip_msg_parse(&r, rbuf, (size_t)n, &e), 0);
		dlg_on_response(d1, &r, &src, NULL);
	}
	assert_int_equal(dlg_sweep(t + 200000, 200000), 1);
	assert_int_equal(dlg_count(), 1);
	assert_null(dlg_find(m[0].call_id, m[0].from.tag, (struct sip_str){ 0 }, &fc));
	d2 = dlg_find(m[1].call_id, m[1].from.tag, (struct sip_str){ 0 }, &fc);
	assert_ptr_equal(d2, d1);
	dlg_put(d2);
	dlg_put(d0);
	dlg_put(d1);
	dlg_fini();
	assert_int_equal(dlg_count(), 0);
}

static int take_rc;
static int takes, puts_;

static int
take_hook(const union xr_sa *owner)
{
	(void)owner;
	takes++;
	return take_rc;
}

static void
put_hook(const union xr_sa *owner)
{
	(void)owner;
	puts_++;
}

static int
max4(void)
{
	return 4;
}

static void
test_media_bounds(void **state)
{
	static const struct cm_limits lim = { take_hook, put_hook, max4 };
	static char buf[8192], out[8192];
	struct sip_msg m;
	union xr_sa owner = A("192.0.2.1:5060");
	char err[200];
	size_t outlen;
	struct cm *cm;
	int g = -1;

	(void)state;
	cm_set_limits(&lim);
	cm = cm_new(1);
	assert_non_null(cm);
	cm_set_owner(cm, &owner);
	/* Five m= lines, at most four: -ERANGE before any session or quota. */
	mk_invite(buf, sizeof(buf), &m, "media-1", 5);
	assert_int_equal(cm_body(cm, &m, true, false, CM_NEW, NULL, &g, out, sizeof(out),
				 &outlen, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "--max-streams"));
	assert_int_equal(takes, 0);
	/* Sixteen (what the parser takes): the same. */
	mk_invite(buf, sizeof(buf), &m, "media-2", 16);
	assert_int_equal(cm_body(cm, &m, true, false, CM_NEW, NULL, &g, out, sizeof(out),
				 &outlen, err, sizeof(err)), -ERANGE);
	/* The owner's quota refuses: -EDQUOT, no session, nothing to give back. */
	take_rc = -EDQUOT;
	mk_invite(buf, sizeof(buf), &m, "media-3", 2);
	assert_int_equal(cm_body(cm, &m, true, false, CM_NEW, NULL, &g, out, sizeof(out),
				 &outlen, err, sizeof(err)), -EDQUOT);
	assert_non_null(strstr(err, "--max-media-sessions-per-source"));
	assert_int_equal(takes, 1);
	assert_int_equal(puts_, 0);
	assert_int_equal(cm_streams(cm), 0);
	cm_end(cm);
	cm_free(cm);
	cm_set_limits(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_over_limit),
		cmocka_unit_test(test_quota),
		cmocka_unit_test_setup_teardown(test_authfail, ban_setup, ban_teardown),
		cmocka_unit_test(test_max_registrations),
		cmocka_unit_test(test_max_calls),
		cmocka_unit_test(test_dlg_sweep),
		cmocka_unit_test(test_media_bounds),
	};
	int rc;

	rcu_register_thread();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_unregister_thread();
	return rc;
}
