// SPDX-License-Identifier: GPL-2.0
/*
 * test_ha_codec.c - the documents daemon/ha/ keeps in Redis (ha/codec.c)
 * and its key names (ha/writer.c): a media session, a call and an AOR's
 * bindings encode and decode back to what was given (IPv4 and IPv6,
 * unknown and latched addresses, a TCP caller), expiries move between the
 * monotonic and the wall clock, expired bindings are left out, malformed
 * documents are refused, keys parse back to what made them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ha/ha.h"
#include "ha/ha_int.h"

static union xr_sa
sa(const char *s)
{
	union xr_sa a;

	assert_int_equal(xr_sa_parse(&a, s, 0), 0);
	return a;
}

static void
test_media_roundtrip(void **state)
{
	struct media_session_info in, out;
	json_t *j;
	char *txt;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.id = 123456789012ull;
	in.created_ms = 1796351713332ull;
	in.side[0].local_rtp = sa("10.11.1.1:30000");
	in.side[0].remote_rtp = sa("10.11.1.2:4100");
	in.side[0].remote_rtcp = sa("10.11.1.2:4101");
	in.side[0].latched_rtp = sa("10.11.1.2:4100");
	in.side[0].dir = MEDIA_SENDONLY;
	in.side[1].local_rtp = sa("[fd11:2::1]:30002");
	/* side B not answered yet: its family only, port 0 */
	in.side[1].remote_rtp.sa.sa_family = AF_INET6;
	in.side[1].remote_rtcp.sa.sa_family = AF_INET6;
	in.side[1].latched_rtcp = sa("[fd11:2::2]:5101");
	in.side[1].dir = MEDIA_INACTIVE;

	j = ha_enc_media(&in);
	assert_non_null(j);
	/* Through text, as Redis holds it. */
	txt = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	j = json_loads(txt, 0, NULL);
	free(txt);
	assert_int_equal(ha_dec_media(j, &out), 0);
	json_decref(j);
	assert_true(out.id == in.id && out.created_ms == in.created_ms);
	for (int sd = 0; sd < 2; sd++) {
		assert_true(xr_sa_eq(&out.side[sd].local_rtp, &in.side[sd].local_rtp));
		assert_true(xr_sa_eq(&out.side[sd].latched_rtp, &in.side[sd].latched_rtp) ||
			    (!out.side[sd].latched_rtp.sa.sa_family &&
			     !in.side[sd].latched_rtp.sa.sa_family));
		assert_int_equal(out.side[sd].dir, in.side[sd].dir);
	}
	assert_true(xr_sa_eq(&out.side[0].remote_rtcp, &in.side[0].remote_rtcp));
	assert_true(xr_sa_eq(&out.side[1].latched_rtcp, &in.side[1].latched_rtcp));
	assert_int_equal(out.side[1].remote_rtp.sa.sa_family, AF_INET6);
	assert_int_equal(xr_sa_port(&out.side[1].remote_rtp), 0);
	assert_int_equal(out.side[0].latched_rtcp.sa.sa_family, 0);
}

static void
test_media_bad(void **state)
{
	struct media_session_info mi;
	static const char *bad[] = {
		"{}",
		"{\"id\":1,\"sides\":[]}",
		"{\"id\":1,\"sides\":[{\"local\":null,\"dir\":0},{\"local\":[\"1.2.3.4\",2],\"dir\":0}]}",
		"{\"id\":1,\"sides\":[{\"local\":[\"1.2.3.4\",2],\"dir\":9},{\"local\":[\"1.2.3.4\",2],\"dir\":0}]}",
		"{\"id\":1,\"sides\":[{\"local\":[\"nonsense\",2],\"dir\":0},{\"local\":[\"1.2.3.4\",2],\"dir\":0}]}",
		"{\"id\":1,\"sides\":[{\"local\":[\"1.2.3.4\",70000],\"dir\":0},{\"local\":[\"1.2.3.4\",2],\"dir\":0}]}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], 0, NULL);

		assert_non_null(j);
		assert_int_equal(ha_dec_media(j, &mi), -EINVAL);
		json_decref(j);
	}
}

static void
test_call_roundtrip(void **state)
{
	struct dlg_info *in = calloc(1, sizeof(*in)), *out = calloc(1, sizeof(*out));
	struct cm_saved cs, cs2;
	json_t *j;

	(void)state;
	in->id = 42;
	in->state = DLG_CONFIRMED;
	strcpy(in->callid, "abc-1@10.11.1.2");
	strcpy(in->from_tag, "1234uac1");
	strcpy(in->to_tag, "99uas1");
	strcpy(in->from_hdr, "<sip:alice@example.com>;tag=1234uac1");
	strcpy(in->to_hdr, "<sip:bob@example.com>");
	strcpy(in->caller_contact, "sip:alice@10.11.1.2:5070;transport=UDP");
	strcpy(in->callee_contact, "sip:bob@10.11.2.2:5060;transport=UDP");
	strcpy(in->callee_routes, "Route: <sip:10.9.9.9;lr>\r\n");
	in->caller_dest.addr = sa("10.11.1.2:5070");
	in->caller_dest.tp = SIP_TP_TCP;
	in->caller_dest.sock = 0;
	in->caller_dest.conn_id = 77;	/* a connection does not survive: 0 after */
	in->callee_dest.addr = sa("[fd11:2::2]:5060");
	in->callee_dest.sock = 1;
	in->cseq_caller = 3;
	in->cseq_callee = 7;
	in->created = 1796351713;
	in->answered = 1796351714;
	in->last_code = 200;
	memset(&cs, 0, sizeof(cs));
	cs.nstreams = 2;
	cs.relay = sa("10.11.2.1:0");
	strcpy(cs.st[0].type, "audio");
	cs.st[0].sid = 1000;
	cs.st[0].a_is_caller = true;
	strcpy(cs.st[1].type, "video");	/* rejected: no session */

	j = ha_enc_call(in, &cs);
	assert_non_null(j);
	assert_int_equal(ha_dec_call(j, out, &cs2), 0);
	json_decref(j);
	assert_true(out->id == 42 && out->state == DLG_CONFIRMED);
	assert_string_equal(out->callid, in->callid);
	assert_string_equal(out->from_tag, in->from_tag);
	assert_string_equal(out->to_tag, in->to_tag);
	assert_string_equal(out->from_hdr, in->from_hdr);
	assert_string_equal(out->callee_contact, in->callee_contact);
	assert_string_equal(out->callee_routes, in->callee_routes);
	assert_true(xr_sa_eq(&out->caller_dest.addr, &in->caller_dest.addr));
	assert_int_equal(out->caller_dest.tp, SIP_TP_TCP);
	assert_true(out->caller_dest.conn_id == 0);
	assert_int_equal(out->callee_dest.sock, 1);
	assert_true(out->cseq_caller == 3 && out->cseq_callee == 7);
	assert_true(out->answered == in->answered && out->last_code == 200);
	assert_int_equal(cs2.nstreams, 2);
	assert_true(xr_sa_ip_eq(&cs2.relay, &cs.relay));
	assert_string_equal(cs2.st[0].type, "audio");
	assert_true(cs2.st[0].sid == 1000 && cs2.st[0].a_is_caller);
	assert_string_equal(cs2.st[1].type, "video");
	assert_true(cs2.st[1].sid == 0);

	/* No Call-ID: refused. */
	in->callid[0] = '\0';
	j = ha_enc_call(in, &cs);
	assert_int_equal(ha_dec_call(j, out, &cs2), -EINVAL);
	json_decref(j);
	free(in);
	free(out);
}

static void
test_reg_clocks(void **state)
{
	struct loc_binding b[3], out[3];
	uint64_t last, mono = 5000000, real = 1796351713000ull;
	char aor[LOC_AOR_MAX];
	json_t *j;
	int n;

	(void)state;
	memset(b, 0, sizeof(b));
	strcpy(b[0].contact, "sip:bob@10.11.2.2:5060");
	b[0].q = 500;
	b[0].expires_ms = mono + 60000;
	strcpy(b[0].callid, "reg-1");
	b[0].cseq = 4;
	b[0].received = sa("10.11.2.2:5060");
	b[0].sock = 1;
	strcpy(b[1].contact, "sip:bob@10.11.3.2:5060");
	b[1].q = -1;
	b[1].expires_ms = mono + 1000;	/* expires before the restore below */
	strcpy(b[1].callid, "reg-2");
	b[1].sock = -1;
	j = ha_enc_reg("bob@example.com", b, 2, mono, real, &last);
	assert_true(last == real + 60000);	/* the key's own expiry: the last binding's */

	/* Restored 10 s later on another clock origin: 50 s left, the second gone. */
	n = ha_dec_reg(j, aor, sizeof(aor), out, 3, 100, real + 10000);
	json_decref(j);
	assert_int_equal(n, 1);
	assert_string_equal(aor, "bob@example.com");
	assert_string_equal(out[0].contact, b[0].contact);
	assert_true(out[0].expires_ms == 100 + 50000);
	assert_int_equal(out[0].q, 500);
	assert_true(out[0].cseq == 4);
	assert_string_equal(out[0].callid, "reg-1");
	assert_true(xr_sa_eq(&out[0].received, &b[0].received));
	assert_int_equal(out[0].sock, 1);
}

static void
test_keys(void **state)
{
	char key[HA_KEY_MAX];
	struct ha_item it;

	(void)state;
	snprintf(ha.prefix, sizeof(ha.prefix), "xr:node1:");
	ha_key(key, sizeof(key), HA_MEDIA, 4122002514ull, NULL);
	assert_string_equal(key, "xr:node1:media:4122002514");
	assert_int_equal(ha_key_parse(key, strlen(key), &it), 0);
	assert_true(it.kind == HA_MEDIA && it.id == 4122002514ull);
	ha_key(key, sizeof(key), HA_CALL, 7, NULL);
	assert_string_equal(key, "xr:node1:call:7");
	assert_int_equal(ha_key_parse(key, strlen(key), &it), 0);
	assert_true(it.kind == HA_CALL && it.id == 7);
	ha_key(key, sizeof(key), HA_REG, 0, "bob@example.com");
	assert_string_equal(key, "xr:node1:reg:bob@example.com");
	assert_int_equal(ha_key_parse(key, strlen(key), &it), 0);
	assert_true(it.kind == HA_REG);
	assert_string_equal(it.aor, "bob@example.com");
	/* Another node's keys, and keys of no kind we write, are not ours. */
	assert_int_equal(ha_key_parse("xr:node2:call:7", 15, &it), -EINVAL);
	assert_int_equal(ha_key_parse("xr:node1:call:x", 15, &it), -EINVAL);
	assert_int_equal(ha_key_parse("xr:node1:lease", 14, &it), -EINVAL);
	assert_int_equal(ha_key_parse("xr:node1:call:0", 15, &it), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_media_roundtrip),
		cmocka_unit_test(test_media_bad),
		cmocka_unit_test(test_call_roundtrip),
		cmocka_unit_test(test_reg_clocks),
		cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
