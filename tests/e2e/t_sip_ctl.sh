#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sip_ctl.sh - the proxy's control commands on a live call: `calls` lists
# it (confirmed), `call show ID` details it, `call kill ID` sends a BYE each
# way (both SIPp ends must receive it and answer 200, or their scenario
# fails) and the call leaves the table (a call still ringing is CANCELled
# instead: 487 to the caller); `regs` lists the binding; `stats`
# and `metrics` count the binding, the dialog and the SIP traffic (messages
# by method and status code too); errors
# (unknown id) exit non-zero.  --prealloc-transactions asks for more than
# --max-transactions allows: the daemon touches memory for the bound only
# (log, `stats` transaction_slots).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

sip_setup --max-transactions 4000 --prealloc-transactions 1000000
xr_ok "log: --prealloc-transactions capped at --max-transactions" \
	grep -q "4000 transactions preallocated" "$XR_TMP/xrelayd.log"
slots=$(xr_ctl_json stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["sip"]["transaction_slots"])')
xr_ok "stats: room for 4000 transactions, not a million ($slots)" \
	[ "${slots:-0}" -ge 4000 -a "${slots:-0}" -lt 100000 ]
sip_register bob u1
xr_ok "REGISTER bob" [ $? -eq 0 ]
xr_ok "regs (table) shows bob" grep -q "bob@example.com" <<<"$(xr_ctl regs)"

# call_in STATE UAS-SCEN UAC-SCEN NAME : a call from a to bob through its
# scenarios; sets uas, uac (SIPp PIDs) and id (the call's, once listed in
# STATE within 5 s; empty if not).
call_in() {
	sip_uas "uas-$4" "$2" u1 -m 1
	uas=$SIPP_BG_PID
	sipp_bg a "uac-$4" -sf "$SIP_SCEN/$3" -i $A4 -p $SIP_UAC_PORT -t u1 \
		-rsa $RA4:5060 -s bob -m 1 $RA4:5060
	uac=$SIPP_BG_PID
	id=
	for _ in $(seq 1 50); do
		id=$(xr_ctl_json calls | python3 -c 'import json,sys
d=json.load(sys.stdin); d=d["calls"] if isinstance(d, dict) else d
c=[x for x in d if x["state"] == sys.argv[1]]
print(c[0]["id"] if c else "")' "$1")
		[ -n "$id" ] && break
		sleep 0.1
	done
}

call_in confirmed uas_killed.xml uac_killed.xml k
xr_ok "calls lists the answered call" [ -n "$id" ]
xr_ok "stats: one binding, one dialog, SIP messages in and out" python3 -c 'import json,sys
s=json.loads(sys.argv[1])["sip"]; t=s["transport"]
assert s["bindings"] == 1 and s["aors"] == 1 and s["dialogs"] == 1, s
assert t["rx_msgs"] >= 4 and t["tx_msgs"] >= 4 and t["tx_errors"] == 0, t
assert s["transactions"] >= 0 and s["registers"] == 1 and s["forwarded"] >= 1, s' \
	"$(xr_ctl_json stats)"
metrics=$(xr_ctl metrics)
xr_ok "metrics: xrelay_sip_registered_bindings 1" grep -qx "xrelay_sip_registered_bindings 1" <<<"$metrics"
xr_ok "metrics: xrelay_sip_dialogs 1" grep -qx "xrelay_sip_dialogs 1" <<<"$metrics"
xr_ok "metrics: xrelay_sip_transactions is a gauge" \
	grep -qx "# TYPE xrelay_sip_transactions gauge" <<<"$metrics"
xr_ok "metrics: xrelay_sip_rx_messages_total counts" \
	grep -q "^xrelay_sip_rx_messages_total [1-9]" <<<"$metrics"
stats=$(xr_ctl stats)
xr_ok "stats (table) has the SIP messages" grep -q "^SIP requests by method:" <<<"$stats"
xr_ok "stats (table) has the SIP counters" grep -q "^SIP transport, transactions" <<<"$stats"
xr_ok "stats: SIP messages by method and code" python3 -c 'import json,sys
m=json.loads(sys.argv[1])["sip_messages"]
assert m["rx"]["requests"]["REGISTER"] == 1 and m["rx"]["requests"]["INVITE"] == 1, m
assert m["tx"]["requests"]["INVITE"] == 1 and m["tx"]["responses"]["200"] == 2, m' \
	"$(xr_ctl_json stats)"
show=$(xr_ctl_json call show "$id")
xr_ok "call show: callee contact and both tags" python3 -c 'import json,sys
d=json.loads(sys.argv[1]); assert d["callee_contact"].startswith("sip:bob@10.11.2.2")
assert d["from_tag"] and d["to_tag"] and d["state"] == "confirmed"' "$show"
xr_ok "call kill" grep -q "^call $id ended: BYE to the callee sent, to the caller sent" \
	<<<"$(xr_ctl call kill "$id")"
sipp_reap "$uac"; xr_eq "the caller got the BYE and answered it (sipp exit)" "$?" 0
sipp_reap "$uas"; xr_eq "the callee got the BYE and answered it (sipp exit)" "$?" 0
xr_ok "the call left the table" sip_calls_empty
xr_ok "stats: no dialog left, the binding still there" python3 -c 'import json,sys
s=json.loads(sys.argv[1])["sip"]; assert s["dialogs"] == 0 and s["bindings"] == 1, s' \
	"$(xr_ctl_json stats)"
# A call still ringing: `call kill` CANCELs the callee and gives the caller 487.
call_in early uas_cancel.xml uac_wait_487.xml r
xr_ok "a ringing call is listed early" [ -n "$id" ]
xr_ok "call kill of a ringing call cancels it" \
	grep -q "^call $id cancelled: CANCEL to every branch, 487 to the caller" \
	<<<"$(xr_ctl call kill "$id")"
sipp_reap "$uac"; xr_eq "the caller got 487 and ACKed it (sipp exit)" "$?" 0
sipp_reap "$uas"; xr_eq "the callee got CANCEL, answered 200 and 487 (sipp exit)" "$?" 0
xr_ok "the cancelled call left the table" sip_calls_empty

fails() { ! "$@" >/dev/null 2>&1; }
xr_ok "call show of an unknown id fails" fails xr_ctl call show 999999
xr_ok "call kill of an unknown id fails" fails xr_ctl call kill 999999
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
