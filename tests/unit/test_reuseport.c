// SPDX-License-Identifier: GPL-2.0
/*
 * test_reuseport.c - the Call-ID scan of the SIP workers' SK_REUSEPORT
 * balancer (xr_rp_step() and xr_rp_worker() of include/xrelay/reuseport.h,
 * the code bpf/sip_reuseport.bpf.c runs under bpf_loop(); the program type
 * has no BPF_PROG_TEST_RUN, so tests/e2e/t_sip_spread.sh checks it in the
 * kernel): the long and the compact header, case and spaces, the messages
 * of one call hashing alike whatever their layout, different calls apart,
 * no Call-ID, one in the body only, one cut by the scan window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "xrelay/reuseport.h"

/*
 * Run the scan as the program does: the payload copied into a scratch of
 * XR_RP_BUF bytes (at most XR_RP_SCAN of it; stale bytes after it), then
 * steps 0..n.  Returns the state; *hash gets the hash when FOUND.
 */
static __u32
scan(const char *msg, __u32 *hash)
{
	static __u8 buf[XR_RP_BUF];
	struct xr_rp_scan st = { 0 };
	size_t len = strlen(msg);

	memset(buf, 'x', sizeof(buf));	/* stale bytes of an earlier datagram */
	st.n = (__u32)(len > XR_RP_SCAN ? XR_RP_SCAN : len);
	st.cut = len > st.n;
	memcpy(buf, msg, st.n);
	for (__u32 i = 0; i <= st.n; i++)
		if (xr_rp_step(&st, buf, i))
			break;
	if (hash)
		*hash = st.hash;
	return st.state;
}

static __u32
hash_of(const char *msg)
{
	__u32 h = 0;

	assert_int_equal(scan(msg, &h), XR_RP_FOUND);
	return h;
}

#define INVITE_A							\
	"INVITE sip:bob@example.com SIP/2.0\r\n"				\
	"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"		\
	"From: <sip:alice@example.com>;tag=1\r\n"			\
	"To: <sip:bob@example.com>\r\n"					\
	"Call-ID: 1-4242@10.0.0.1\r\n"					\
	"CSeq: 1 INVITE\r\n"						\
	"Content-Length: 0\r\n\r\n"

static void
test_forms_agree(void **state)
{
	__u32 h = hash_of(INVITE_A);

	(void)state;
	/* a response, headers in another order, the compact form, odd case, spaces */
	assert_int_equal(hash_of("SIP/2.0 180 Ringing\r\n"
				 "i: 1-4242@10.0.0.1\r\n"
				 "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
				 "CSeq: 1 INVITE\r\n\r\n"), h);
	assert_int_equal(hash_of("BYE sip:a@10.0.0.2 SIP/2.0\r\n"
				 "CALL-id \t:  1-4242@10.0.0.1 \r\n\r\n"), h);
	assert_int_equal(hash_of("ACK sip:a@10.0.0.2 SIP/2.0\r\n"
				 "I:1-4242@10.0.0.1\r\n\r\n"), h);
	/* LF-only line ends, and a datagram ending in the value */
	assert_int_equal(hash_of("SIP/2.0 200 OK\nCall-Id: 1-4242@10.0.0.1\n\n"), h);
	assert_int_equal(hash_of("SIP/2.0 200 OK\r\nCall-ID: 1-4242@10.0.0.1"), h);
}

static void
test_calls_differ(void **state)
{
	__u32 seen[2] = { 0 };
	char msg[256];

	(void)state;
	assert_int_not_equal(hash_of("OPTIONS sip:x SIP/2.0\r\ni: 1-4242@10.0.0.1\r\n\r\n"),
			     hash_of("OPTIONS sip:x SIP/2.0\r\ni: 2-4242@10.0.0.1\r\n\r\n"));
	/* sequential SIPp Call-IDs spread over two workers (FNV's weak low bit mixed) */
	for (int i = 0; i < 1000; i++) {
		snprintf(msg, sizeof(msg), "BYE sip:x SIP/2.0\r\nCall-ID: %d-777@10.11.1.2\r\n\r\n",
			 i);
		seen[xr_rp_worker(hash_of(msg), 2)]++;
	}
	assert_true(seen[0] > 400 && seen[1] > 400);
	/* and over three */
	__u32 s3[3] = { 0 };

	for (int i = 0; i < 999; i++) {
		snprintf(msg, sizeof(msg), "BYE sip:x SIP/2.0\r\ni: %d-777@10.11.1.2\r\n\r\n", i);
		s3[xr_rp_worker(hash_of(msg), 3)]++;
	}
	assert_true(s3[0] > 250 && s3[1] > 250 && s3[2] > 250);
	assert_int_equal(xr_rp_worker(12345, 0), 0);
}

static void
test_not_found(void **state)
{
	(void)state;
	/* no Call-ID at all */
	assert_int_equal(scan("OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n", NULL),
			 XR_RP_NONE);
	/* headers that only look alike: In-Reply-To, Call-Info, Identity */
	assert_int_equal(scan("INVITE sip:x SIP/2.0\r\nIn-Reply-To: 9@h\r\n"
			      "Call-Info: <http://x>\r\nIdentity: abc\r\n\r\n", NULL),
			 XR_RP_NONE);
	/* the start line is not a header; a Call-ID in the body does not count */
	assert_int_equal(scan("Call-ID: 1@h SIP/2.0\r\nTo: <sip:x>\r\n\r\n"
			      "Call-ID: 2@h\r\n", NULL), XR_RP_NONE);
	/* an empty value */
	assert_int_equal(scan("BYE sip:x SIP/2.0\r\nCall-ID: \r\n\r\n", NULL), XR_RP_NONE);
	/* a CRLF keep-alive */
	assert_int_equal(scan("\r\n\r\n", NULL), XR_RP_NONE);
}

static void
test_window(void **state)
{
	static char big[XR_RP_SCAN + 512];
	size_t pre;

	(void)state;
	/* a Call-ID past the scan window: none (the kernel's hash takes it) */
	strcpy(big, "INVITE sip:x SIP/2.0\r\n");
	while (strlen(big) < XR_RP_SCAN)
		strcat(big, "X-Pad: 0123456789\r\n");
	strcat(big, "Call-ID: late@h\r\n\r\n");
	assert_int_equal(scan(big, NULL), XR_RP_NONE);
	/* one cut by the window's end: none, never a prefix's hash */
	strcpy(big, "INVITE sip:x SIP/2.0\r\n");
	while (strlen(big) < XR_RP_SCAN - 40)
		strcat(big, "X: 1\r\n");
	pre = strlen(big);
	memset(big + pre, 0, sizeof(big) - pre);
	strcat(big, "Call-ID: ");
	while (strlen(big) < XR_RP_SCAN + 20)
		strcat(big, "a");
	strcat(big, "\r\n\r\n");
	assert_int_equal(scan(big, NULL), XR_RP_NONE);
	/* a value longer than XR_RP_IDMAX: its first XR_RP_IDMAX bytes */
	char a[600], b[600];

	snprintf(a, sizeof(a), "BYE sip:x SIP/2.0\r\ni: %0300d\r\n\r\n", 1);
	snprintf(b, sizeof(b), "BYE sip:x SIP/2.0\r\ni: %0300d\r\n\r\n", 2);
	assert_int_equal(hash_of(a), hash_of(b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms_agree),
		cmocka_unit_test(test_calls_differ),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
