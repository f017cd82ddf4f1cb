#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ops_reload_call.sh - a SIGHUP reload in the middle of an anchored SIP
# call: the new log level shows in `xrelayctl log level`, the call (same id,
# dialog, media session, relay ports) and the registration stay, RTP keeps
# flowing in the kernel, and the call still ends cleanly (call kill: BYE to
# both SIPps, nothing left behind).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

CONF=$XR_TMP/xrelay.conf
LOG=$XR_TMP/xrelayd.log
cat >"$CONF" <<'EOC'
media-timeout = 60
log-level = proxy=info
tcp-idle = 600
EOC
cl_setup -c "$CONF"
cl_xdp_check
cl_register bob b
xr_ok "REGISTER bob from b" [ $? -eq 0 ]
N=100

cl_uas uas call_uas.xml b 5100; uas=$CL_PID
cl_uac uac call_uac_wait.xml bob 4100; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "the call is confirmed" [ -n "$id" ]
cl_wait_media "${id:-0}" || xr_die "the call has no media"
sid=$CL_SID ar=$CL_AR br=$CL_BR
cl_rtp before "$A4:4100" "$ar" "$B4:5100" "$br" $N $N $N
callstate() {
	cl_show "$id" | jpy '[d.get(k) for k in ("id", "state", "call_id")]'
}
state_before=$(callstate)
# (all but the seconds left, which count down)
regs_before=$(xr_ctl --json regs | jpy 'sorted(str({k: v for k, v in r.items() if k != "expires"}) for r in (d["regs"] if isinstance(d, dict) and "regs" in d else d))')
k_before=$(cl_kp "$sid" A)

cat >"$CONF" <<'EOC'
media-timeout = 90
log-level = proxy=debug
log-level = sip=warn
tcp-idle = 300
ports = 30000-30999
EOC
kill -HUP "$XR_DAEMON_PID"
for _ in $(seq 1 50); do grep -q 'reload: [0-9]* change' "$LOG" && break; sleep 0.1; done
xr_eq "reload: 3 applied, 1 ignored" "$(grep -c 'reload: 3 change(s) applied, 1 ignored' "$LOG")" 1
xr_ok "reload: ports named as needing a restart" \
	grep -qF 'reload: ports: 30000-39999 -> 30000-30999: ignored, needs a restart' "$LOG"
xr_eq "xrelayctl log level: proxy debug, sip warn" \
	"$(xr_ctl --json log level | jpy '"%s %s %s" % (d["proxy"], d["sip"], d["media"])')" \
	"debug warn info"

xr_eq "the call is the same, still confirmed" "$(callstate)" "$state_before"
xr_eq "one call listed" "$(cl_calls | jpy 'len(d)')" 1
cl_wait_media "$id"
xr_eq "same media session and relay ports" "$CL_SID $CL_AR $CL_BR" "$sid $ar $br"
xr_eq "the registration is untouched" \
	"$(xr_ctl --json regs | jpy 'sorted(str({k: v for k, v in r.items() if k != "expires"}) for r in (d["regs"] if isinstance(d, dict) and "regs" in d else d))')" \
	"$regs_before"
cl_rtp after "$A4:4100" "$ar" "$B4:5100" "$br" $N $N $N
xr_ok "the kernel carried the RTP after the reload ($(( $(cl_kp "$sid" A) - k_before )))" \
	[ $(( $(cl_kp "$sid" A) - k_before )) -ge $((N - 5)) ]

xr_ok "xrelayctl call kill $id" xr_ctl call kill "$id"
cl_reap uac "$uac" 10
cl_reap uas "$uas" 10
cl_check_clean "after the kill"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
