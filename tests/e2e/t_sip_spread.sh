#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sip_spread.sh - one peer's calls over every SIP worker (issue 16):
# xrelayd with --workers 2 balances its UDP sockets by Call-ID
# (bpf/sip_reuseport.bpf.c, SK_REUSEPORT).  One SIPp UAC (one address and
# port, so the kernel's own hash would give all its datagrams to one worker)
# makes N re-INVITE calls (INVITE/100/180/200/ACK, re-INVITE/100/200/ACK,
# BYE/200; bench/sipp's scenarios) at RATE calls/s to one SIPp UAS:
#  - `xrelayctl stats`: balance mode "callid", every call's datagrams were
#    placed by their Call-ID (by_callid grew by at least the datagrams the
#    workers read), none fell back for want of a socket;
#  - both workers read a fair share (each 25-75 % of the datagrams);
#  - SIPp's default behaviours are strict (an unexpected message, such as a
#    180 overtaking its 200, aborts the call): every call succeeds, 0 failed,
#    so a dialog's messages stayed in order on their worker.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

N=${XR_SPREAD_CALLS:-600}
RATE=${XR_SPREAD_RATE:-100}
HOLD=300
BSCEN=$XR_ROOT/bench/sipp

# One SIPp host is the whole load: no per-source rate limit (--pike-rate).
sip_setup --pike-rate 0 --workers 2
ulimit -n 65536 2>/dev/null || true
xr_ok "REGISTER bob" sip_register bob u1

# stats_py EXPR : EXPR over d = `xrelayctl --json stats`["sip"].
stats_py() {
	xr_ctl --json stats | python3 -c '
import json, sys
d = json.load(sys.stdin)["sip"]
print(eval(sys.argv[1]))' "$1"
}

xr_eq "balance mode" "$(stats_py 'd["balance"]["mode"]')" callid
xr_eq "two workers in stats" "$(stats_py 'len(d["workers"])')" 2
rx0=$(stats_py '" ".join(str(w["rx"]) for w in d["workers"])')
cid0=$(stats_py 'd["balance"]["by_callid"]')

sipp_bg b uas -sf "$BSCEN/uas_reinvite.xml" -i $B4 -p $SIP_UAS_PORT -t u1 -m "$N" \
	-max_socket 4096 -l 100000
uas=$SIPP_BG_PID
sipp_fg a uac $((N / RATE + 60)) -sf "$BSCEN/uac_reinvite.xml" -i $A4 -p $SIP_UAC_PORT \
	-t u1 -rsa $RA4:5060 -s bob -m "$N" -r "$RATE" -d "$HOLD" -l $((RATE * 3 + 100)) \
	-max_socket 4096 $RA4:5060
rc=$?
sipp_reap "$uas" 10
xr_eq "$N re-INVITE calls at $RATE/s from one peer: sipp exit status" "$rc" 0
xr_eq "successful calls" "$(sipp_stat uac 'SuccessfulCall(C)')" "$N"
xr_eq "failed calls" "$(sipp_stat uac 'FailedCall(C)')" 0

read -r a0 b0 <<<"$rx0"
read -r a1 b1 <<<"$(stats_py '" ".join(str(w["rx"]) for w in d["workers"])')"
da=$((a1 - a0)) db=$((b1 - b0)) tot=$((a1 - a0 + b1 - b0))
dcid=$(($(stats_py 'd["balance"]["by_callid"]') - cid0))
xr_log "datagrams read: worker 0 $da, worker 1 $db; placed by Call-ID: $dcid;" \
	"balance $(stats_py 'd["balance"]')"
# each call: INVITE, 180, 200, ACK, re-INVITE, 200, ACK, BYE, 200 at least
xr_ok "the workers read the calls' datagrams (>= 9 a call)" [ "$tot" -ge $((9 * N)) ]
# fair PART TOTAL : PART is 25-75 % of TOTAL.
fair() { [ $(($1 * 4)) -ge "$2" ] && [ $(($1 * 4)) -le $((3 * $2)) ]; }
xr_ok "worker 0 read 25-75 % of them ($da of $tot)" fair "$da" "$tot"
xr_ok "worker 1 read 25-75 % of them ($db of $tot)" fair "$db" "$tot"
xr_ok "every datagram was placed by its Call-ID ($dcid >= $tot)" [ "$dcid" -ge "$tot" ]
xr_eq "no Call-ID slot without a socket" "$(stats_py 'd["balance"]["no_socket"]')" 0
xr_ok "no call left in the dialog table" sip_calls_empty
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
