#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_call_early_rtcp.sh - a callee's RTCP (and RTP) before its 200, as baresip
# sends on every call: while bob rings, b sends RTCP and RTP to the relay
# ports the offer gave it.  They cannot latch yet (the answer has not named
# b), so they are dropped, but counted as early (dropped_early, early_drops),
# not as a wrong source: no RTP Bleed alarm.  When the 200 names b's
# address, both legs latch to it at once, without another packet, and b's
# next RTCP and RTP go through XDP.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

cl_start b

cl_uas early-uas call_uas_ring.xml b 5100; uas=$CL_PID
cl_uac early-uac call_uac.xml bob 4100; uac=$CL_PID
id=$(cl_wait_call early)
xr_ok "the call rings (early)" [ -n "$id" ]
br=
for i in $(seq 1 30); do
	br=$(cl_m "$id" 'm["callee"]["relay"] if m.get("callee") else ""' 2>/dev/null)
	[ -n "$br" ] && break
	sleep 0.1
done
xr_ok "the offer gave b a relay port ($br)" [ -n "$br" ]
sid=$(cl_m "$id" 'm["session"]')
sb=$(cl_side_of "$sid" "$br")
u0=$(xr_ctl --json stats | jpy 'd["media"]["userspace"]["early_drops"]')

# ---- before the 200: 5 RTCP and 5 RTP from the ports b's answer will name.
ml_rtp b "$XR_TMP/early.rtcp.json" --bind "$B4:5101" --to "$(ml_rtcp "$br")" --count 5 \
	--rate 50 --wait 0.2 --rtcp
ml_rtp b "$XR_TMP/early.rtp.json" --bind "$B4:5100" --to "$br" --count 5 --rate 50 --wait 0.2
ml_wait
xr_eq "still ringing" "$(cl_calls | jpy '[c["state"] for c in d][0]')" early
xr_eq "early RTCP: 5 dropped as early, none as wrong source, not latched" \
	"$(ml_flow "$sid" "$sb" rtcp '"%d %d %s" % (r["userspace"]["dropped_early"],
		r["userspace"]["dropped_wrong_source"], r["latched"])')" "5 0 False"
xr_eq "early RTP: the same" \
	"$(ml_flow "$sid" "$sb" rtp '"%d %d %s" % (r["userspace"]["dropped_early"],
		r["userspace"]["dropped_wrong_source"], r["latched"])')" "5 0 False"
xr_ge "stats: early_drops +10" \
	"$(( $(xr_ctl --json stats | jpy 'd["media"]["userspace"]["early_drops"]') - u0 ))" 10

# ---- the 200 names b: both legs latch to it at once.
cl_go early-uas sent '^SIP/2.0 180'
xr_ok "answered" cl_wait_media "$id" 8
xr_eq "after the 200, without another packet: RTP and RTCP latched to b" \
	"$(ml_flow "$sid" "$sb" rtp 'r["source"]') $(ml_flow "$sid" "$sb" rtcp 'r["source"]')" \
	"$B4:5100 $B4:5101"
xr_ok "logged" grep -q "latched $B4:5101 (early packet, named by the answer)" "$XR_TMP/xrelayd.log"
k0=$(ml_kpkts "$sid" "$sb" rtcp)
cl_rtp early-after "$A4:4101" "$(ml_rtcp "$CL_AR")" "$B4:5101" "$(ml_rtcp "$CL_BR")" 20 20 20 --rtcp
xr_eq "b's RTCP after the answer: all 20 through XDP" "$(( $(ml_kpkts "$sid" "$sb" rtcp) - k0 ))" 20
cl_go early-uac sent '^ACK'
cl_reap early-uac "$uac" 20
cl_reap early-uas "$uas" 20
xr_done
