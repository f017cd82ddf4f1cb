#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sip_call.sh - a SIPp callee registers bob@example.com, a SIPp caller calls
# it through xrelayd: INVITE/100/180/200/ACK/BYE/200 over UDP, then over TCP
# (one connection for all calls, and one per call), and once as a strict
# router upstream would send it.  SIPp's own verdict (exit
# 0 = every call succeeded) and its counters decide; the registrar's `regs`
# and the dialog table (`calls`, empty after the BYEs) are checked too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

sip_setup

# ---- UDP
sip_register bob u1
xr_ok "REGISTER bob over UDP: 200 with the binding" [ $? -eq 0 ]
regs=$(xr_ctl_json regs)
xr_ok "regs lists bob's UDP contact" grep -q "sip:bob@$B4:5060;transport=UDP" <<<"$regs"

sip_uas uas-udp uas.xml u1 -m 11
uas=$SIPP_BG_PID
sip_uac uac-strict uac_strict.xml u1 20 -s bob -m 1 -d 100
xr_eq "a call whose Request-URI is the proxy (strict router upstream, §16.4)" "$?" 0
sip_uac uac-udp uac.xml u1 30 -s bob -m 10 -r 10 -d 100
xr_eq "10 calls over UDP: sipp exit status" "$?" 0
xr_eq "10 calls over UDP: successful calls" "$(sipp_stat uac-udp 'SuccessfulCall(C)')" 10
xr_eq "10 calls over UDP: failed calls" "$(sipp_stat uac-udp 'FailedCall(C)')" 0
xr_ok "no call left in the dialog table" sip_calls_empty
sipp_reap "$uas"
xr_eq "the callee saw every call as its scenario says: Via, doubled Record-Route (sipp exit)" "$?" 0

# ---- TCP: re-register over TCP (the UDP binding removed with "*" first)
sip_unregister bob u1
xr_ok "unREGISTER bob (Contact: *, Expires: 0)" [ $? -eq 0 ]
regs=$(xr_ctl_json regs)
xr_eq "no binding left" "$(json_len '["regs"]' <<<"$regs")" 0
sip_register bob t1
xr_ok "REGISTER bob over TCP" [ $? -eq 0 ]
xr_ok "regs lists bob's TCP contact" grep -q "transport=TCP" <<<"$(xr_ctl_json regs)"

sip_uas uas-tcp uas.xml t1 -m 20
uas=$SIPP_BG_PID
sip_uac uac-t1 uac.xml t1 30 -s bob -m 10 -r 10 -d 100
xr_eq "10 calls over TCP, one connection (-t t1): sipp exit status" "$?" 0
xr_eq "10 calls over TCP (t1): successful calls" "$(sipp_stat uac-t1 'SuccessfulCall(C)')" 10
sip_uac uac-tn uac.xml tn 30 -max_socket 100 -s bob -m 10 -r 10 -d 100
xr_eq "10 calls over TCP, a connection per call (-t tn): sipp exit status" "$?" 0
xr_eq "10 calls over TCP (tn): successful calls" "$(sipp_stat uac-tn 'SuccessfulCall(C)')" 10
xr_ok "no call left in the dialog table" sip_calls_empty
sipp_reap "$uas"
xr_eq "the callee saw every call as its scenario says: Via, doubled Record-Route (sipp exit)" "$?" 0

xr_ok "xrelayd still running" kill -0 "$XR_DAEMON_PID"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
