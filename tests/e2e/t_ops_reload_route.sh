#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ops_reload_route.sh - what a SIGHUP reload says it applied is what the
# proxy then does: a static --route (carol) moved from the callee's port
# 5060 to 5062 sends the next call to 5062, and a lower max-expires shortens
# the next registration.  Calls before the reload went to 5060.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"
. "$(dirname "$0")/media_lib.sh"

CONF=$XR_TMP/xrelay.conf
cat >"$CONF" <<EOC
route = carol=sip:carol@$B4:5060
max-expires = 3600
EOC
sip_setup -c "$CONF"

# call NAME PORT : one call to carol, answered by a UAS on b:PORT.
call() {
	local uas rc
	sipp_bg b "uas-$1" -sf "$SIP_SCEN/uas.xml" -i $B4 -p "$2" -t u1 -m 1
	uas=$SIPP_BG_PID
	sip_uac "uac-$1" uac.xml u1 20 -s carol -m 1 -d 200
	rc=$?
	sipp_reap "$uas"
	return $(( rc || $? ))
}

xr_ok "before the reload: carol's call is answered at :5060" call before 5060
sip_register bob u1
xr_ok "before the reload: bob registers for 3600 s" \
	test "$(xr_ctl_json regs | jpy 'max(r["expires"] for r in d["regs"])')" -gt 3000

cat >"$CONF" <<EOC
route = carol=sip:carol@$B4:5062
max-expires = 300
default-expires = 120
EOC
kill -HUP "$XR_DAEMON_PID"
for _ in $(seq 1 50); do
	grep -q "reload: 3 change(s) applied" "$XR_TMP/xrelayd.log" && break
	sleep 0.1
done
xr_ok "the reload applied the route, max-expires and default-expires" \
	grep -q "reload: 3 change(s) applied, 0 ignored" "$XR_TMP/xrelayd.log"
xr_ok "after the reload: carol's call is answered at :5062" call after 5062
sip_register bob u1
xr_ok "after the reload: bob's registration is cut to 300 s" \
	test "$(xr_ctl_json regs | jpy 'max(r["expires"] for r in d["regs"])')" -le 300
xr_ok "no call left in the dialog table" sip_calls_empty
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
