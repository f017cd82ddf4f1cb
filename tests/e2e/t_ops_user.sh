#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ops_user.sh - least privilege: xrelayd --user nobody attaches XDP, binds
# SIP, media and control, then runs as nobody with no capability in any
# thread (uid, CapEff/CapPrm/CapAmb, no_new_privs from /proc), and everything
# still works through the fds it kept: RTP through XDP (flow map writes),
# stats (counter reads), a ban (blocklist writes) dropping in XDP, a SIGHUP
# reload; at SIGTERM it exits 0 and unpins its maps.  A --ports range below
# ip_unprivileged_port_start is refused at start.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/media_lib.sh"

ml_need
id nobody >/dev/null 2>&1 || xr_skip "no user nobody"
xr_topology

# ---- refused: media ports that nobody may not bind.
out=$(xr_ns r "$XR_BUILD/xrelayd" -f --ctl "$XR_TMP/refused.sock" --pin-dir "$XR_PIN-refused" \
	--media "$RA4" --ports 1000-1999 --user nobody 2>&1)
xr_eq "--ports 1000-1999 with --user: exit 1" "$?" 1
xr_ok "... with the reason" grep -q "ip_unprivileged_port_start" <<<"$out"
out=$(xr_ns r "$XR_BUILD/xrelayd" -f --ctl "$XR_TMP/refused.sock" --pin-dir "$XR_PIN-refused" \
	--media "$RA4" --user no-such-user-xr 2>&1)
xr_ok "--user of no such user: refused" grep -q "no such user" <<<"$out"

# ---- as nobody.
xr_daemon_start "${ML_XDP_ARGS[@]}" "${ML_MEDIA_ARGS[@]}" --sip "$RA4:5060" \
	--domain example.com --user nobody
pid=$XR_DAEMON_PID
st() { grep "^$1:" "/proc/$pid/status" | cut -f2- | tr -s '\t ' ' '; }
xr_eq "uid: nobody (real, effective, saved, fs)" "$(st Uid)" "65534 65534 65534 65534"
xr_eq "no capability (effective, permitted, ambient, bounding)" \
	"$(st CapEff) $(st CapPrm) $(st CapAmb) $(st CapBnd)" \
	"0000000000000000 0000000000000000 0000000000000000 0000000000000000"
xr_eq "no_new_privs" "$(st NoNewPrivs)" 1
bad=0
for t in /proc/"$pid"/task/*; do
	grep -q "^Uid:.*65534.*65534.*65534.*65534" "$t/status" || bad=$((bad + 1))
	grep -q "^CapEff:.0000000000000000" "$t/status" || bad=$((bad + 1))
	grep -q "^CapPrm:.0000000000000000" "$t/status" || bad=$((bad + 1))
	grep -q "^CapAmb:.0000000000000000" "$t/status" || bad=$((bad + 1))
done
# (Bounding set and no_new_privs are per thread: cleared in every thread but
# liburcu's call_rcu thread, which blocks signals; with nothing permitted it
# has nothing to use, and it never execs.)
xr_eq "every thread ($(ls /proc/"$pid"/task | wc -l)): nobody, no capability" "$bad" 0
xr_ok "logged" grep -q "running as nobody (uid 65534, gid 65534), no capabilities" \
	"$XR_TMP/xrelayd.log"
xr_eq "XDP on three interfaces" "$(ml_xdp_ifaces)" 3

# ---- the data path and the control plane, without privileges.
xr_ok "media create" ml_create "$A4:4000" "$B4:5000"
sid=$ML_SID
ml_exchange user "$A4:4000" "$ML_RA" "$B4:5000" "$ML_RB" 200 200
k=$(ml_kpkts "$sid" A rtp) u=$(ml_upkts "$sid" A rtp)
xr_eq "side A relayed all 200 (kernel $k + userspace $u)" "$((k + u))" 200
# (the first packets go through the daemon until it has latched and written
# the flow, more of them on a loaded host)
xr_ge "the kernel carried most (flow map written as nobody)" "$k" 100
xr_ge "stats: fwd_redirect (counters read as nobody)" "$(ml_counter fwd_redirect)" "$k"
xr_ok "ban add $M4 (blocklist written as nobody)" xr_ctl ban add "$M4" 60
d0=$(ml_counter drop_banned)
xr_ok "m cannot ping the relay" bash -c "! nsenter --net=/run/netns/${XR_PFX}m ping -c 2 -i 0.2 -W 1 -q $RM4"
xr_ge "XDP dropped it (drop_banned)" "$(( $(ml_counter drop_banned) - d0 ))" 2
xr_ok "ban del" xr_ctl ban del "$M4"
kill -HUP "$pid"
for i in $(seq 1 30); do grep -q "reload" "$XR_TMP/xrelayd.log" && break; sleep 0.1; done
xr_ok "SIGHUP: reloaded as nobody, still running" kill -0 "$pid"
xr_ok "SIGHUP: still answering" xr_ctl status
xr_ok "media delete" xr_ctl media delete "$sid"
xr_ok "SIGTERM: xrelayd exits 0" xr_daemon_stop
xr_ok "the maps were unpinned" test ! -e "$XR_PIN"

# ---- started as nobody with ambient capabilities (systemd User= and
# AmbientCapabilities=, CAP_SETUID/CAP_SETGID among them, as in
# dist/xrelayd.service): the capabilities go once set up, in every thread.
if command -v setpriv >/dev/null; then
	udir=$(mktemp -d /tmp/xr-user.XXXXXX)
	chown nobody "$udir"
	mkdir -p "$XR_PIN" && chown nobody "$XR_PIN"
	xr_bg r "$XR_TMP/xrelayd2.log" setpriv --reuid nobody --regid nogroup --clear-groups \
		--inh-caps +bpf,+perfmon,+net_admin,+setuid,+setgid --ambient-caps +bpf,+perfmon,+net_admin,+setuid,+setgid \
		"$XR_BUILD/xrelayd" -f --ctl "$udir/ctl.sock" --pin-dir "$XR_PIN" \
		"${ML_XDP_ARGS[@]}" "${ML_MEDIA_ARGS[@]}" --user nobody
	pid=$XR_LAST_PID
	for i in $(seq 1 100); do
		grep -q "running as nobody" "$XR_TMP/xrelayd2.log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	xr_ok "ambient: running, capabilities dropped" grep -q "running as nobody" \
		"$XR_TMP/xrelayd2.log"
	xr_eq "ambient: XDP attached with the ambient capabilities" "$(ml_xdp_ifaces)" 3
	bad=0
	for t in /proc/"$pid"/task/*; do
		for f in CapEff CapPrm CapAmb; do
			grep -q "^$f:.0000000000000000" "$t/status" || bad=$((bad + 1))
		done
	done
	xr_eq "ambient: every thread ($(ls /proc/"$pid"/task | wc -l)) without capabilities" "$bad" 0
	kill -TERM "$pid"
	for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	wait "$pid"
	xr_eq "ambient: SIGTERM: exits 0" "$?" 0
	xr_ok "ambient: the maps were unpinned" test ! -e "$XR_PIN"
	rm -rf "$udir"
fi
xr_done
