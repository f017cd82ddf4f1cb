#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ops_dist.sh - dist/: the example config passes `xrelayd -n`, names every
# config key --help lists and marks the [reload] ones as --help does; the
# unit grants exactly the capabilities it justifies; and xrelayd speaks
# systemd's notify protocol (READY=1 once up, RELOADING=1 then READY=1 on
# SIGHUP, STOPPING=1 on SIGTERM) as the unit's Type=notify expects.
source "$(dirname "$0")/lib.sh"

[ -x "$XR_BUILD/xrelayd" ] || xr_skip "build first (make)"
command -v python3 >/dev/null || xr_skip "python3 missing"
cd "$XR_ROOT"
CONF=dist/xrelayd.conf
UNIT=dist/xrelayd.service

# ---- the example config.
out=$("$XR_BUILD/xrelayd" -n -c "$CONF" 2>&1)
xr_eq "xrelayd -n -c $CONF: exit 0" "$?" 0
xr_ok "... and prints the normalised config" grep -q '^media = 192.0.2.10$' <<<"$out"
xr_eq "... with no error" "$(grep -c xrelayd: <<<"$out")" 0

keys=$("$XR_BUILD/xrelayd" --help | grep -oE '^ +(-[a-z], )?--[a-z0-9-]+' | sed 's/.*--//' |
       grep -vxE 'config|check|help')
for k in $keys; do
	xr_ok "$CONF names '$k'" grep -qE "^#?$k = " "$CONF"
done
# doc_reload KEY : 1 if the comment block above KEY's first line says [reload].
doc_reload() {
	python3 - "$CONF" "$1" <<'PY'
import re, sys
doc, keydoc = [], None
in_keys = False
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"^#?([a-z0-9-]+) = ", line)
    if m:
        in_keys = True
        if m.group(1) == sys.argv[2]:
            keydoc = " ".join(doc)
            break
    elif line.startswith("#"):
        if in_keys:
            doc, in_keys = [], False
        doc.append(line)
    else:
        doc, in_keys = [], False
print(1 if keydoc and "[reload]" in keydoc else 0)
PY
}
for k in $keys; do
	if "$XR_BUILD/xrelayd" --help | grep -E -- "--$k( |\$)" | grep -q '\[reload\]'; then
		want=1
	else
		want=0
	fi
	xr_eq "$CONF: '$k' marked [reload] as in --help" "$(doc_reload "$k")" "$want"
done

# ---- the unit: the capabilities granted are the ones justified.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
xr_eq "bounding set" "$caps" \
	"CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_NET_RAW CAP_CHOWN CAP_SETUID CAP_SETGID"
xr_eq "ambient = bounding" "$(sed -n 's/^AmbientCapabilities=//p' "$UNIT")" "$caps"
for c in $caps; do
	xr_ok "$c is justified in a comment" grep -qE "^#  $c " "$UNIT"
done
for l in 'Type=notify' 'RuntimeDirectory=xrelay' 'ExecReload=/bin/kill -HUP $MAINPID' \
	 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'User=xrelay' 'ProtectKernelTunables=yes' \
	 'ProtectHome=yes' 'PrivateTmp=yes' 'SystemCallFilter=@system-service bpf' \
	 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK'; do
	xr_ok "unit: $l" grep -qxF "$l" "$UNIT"
done
xr_ok "unit: bpffs ensured before start" grep -q '^ExecStartPre=+.*mount -t bpf bpf /sys/fs/bpf' "$UNIT"
xr_ok "unit: the config is checked before start" \
	grep -qx 'ExecStartPre=/usr/local/sbin/xrelayd -n -c /etc/xrelay/xrelayd.conf' "$UNIT"
# The unit's command line with the example config stays in the foreground
# (Type=notify watches that process), whatever the file says.
start=$(sed -n 's|^ExecStart=/usr/local/sbin/xrelayd ||p' "$UNIT" | sed "s|/etc/xrelay/xrelayd.conf|$XR_TMP/fg.conf|")
{ cat "$CONF"; echo "foreground = no"; } >"$XR_TMP/fg.conf"
# shellcheck disable=SC2086
xr_eq "unit's ExecStart with 'foreground = no' in the file: still foreground" \
	"$("$XR_BUILD/xrelayd" -n $start | grep '^foreground')" "foreground = yes"

# ---- sd_notify: a datagram socket standing in for systemd.
NS=$XR_TMP/notify.sock
python3 - "$NS" >"$XR_TMP/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(15)
while True:
    try:
        m = s.recv(4096).decode()
    except socket.timeout:
        break
    print(m.replace("\n", " "), flush=True)
    if "STOPPING=1" in m:
        break
PY
rx=$!
XR_PIDS+=("$rx")
for _ in $(seq 1 50); do [ -S "$NS" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$NS "$XR_BUILD/xrelayd" -f --media 127.0.0.1 --ports 42000-42099 \
	--ctl "$XR_TMP/ctl.sock" >>"$XR_TMP/xrelayd.log" 2>&1 &
d=$!
XR_PIDS+=("$d")
# wait_msg N : the notify log has N lines (5 s).
wait_msg() {
	for _ in $(seq 1 50); do
		[ "$(wc -l <"$XR_TMP/notify.out")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
xr_ok "READY=1 once started" wait_msg 1
xr_eq "first message" "$(sed -n 1p "$XR_TMP/notify.out")" "READY=1"
xr_ok "the control socket is up by then" test -S "$XR_TMP/ctl.sock"
kill -HUP "$d"
xr_ok "two messages on SIGHUP" wait_msg 3
xr_ok "RELOADING=1 with MONOTONIC_USEC" grep -qE '^RELOADING=1 MONOTONIC_USEC=[0-9]+$' \
	<(sed -n 2p "$XR_TMP/notify.out")
xr_eq "then READY=1" "$(sed -n 3p "$XR_TMP/notify.out")" "READY=1"
kill -TERM "$d"
wait "$d"
xr_eq "xrelayd exit status" "$?" 0
wait "$rx"
xr_eq "STOPPING=1 last" "$(sed -n '4,$p' "$XR_TMP/notify.out")" "STOPPING=1"
xr_done
