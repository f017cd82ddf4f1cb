#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ops_syslog.sh - without -f xrelayd daemonises and logs to syslog: in a
# private mount namespace /dev/log is a datagram socket this test reads,
# and every line arrives there as facility daemon, ident xrelayd[PID],
# "subsystem: message", at the priority of its level; a log.level change
# shows up as debug lines appearing.
source "$(dirname "$0")/lib.sh"

xr_need_root
command -v unshare >/dev/null || xr_skip "unshare (util-linux) missing"
[ -x "$XR_BUILD/xrelayd" ] || xr_skip "build first (make)"

SOCK=$XR_TMP/devlog
OUTF=$XR_TMP/syslog.out
python3 - "$SOCK" >"$OUTF" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
while True:
    try:
        m = s.recv(8192).decode(errors="replace")
    except socket.timeout:
        break
    print(m.rstrip("\n"), flush=True)
    if "main: stopped" in m:
        break
PY
rx=$!
XR_PIDS+=("$rx")
for _ in $(seq 1 50); do [ -S "$SOCK" ] && break; sleep 0.1; done

# /dev/log exists only in the daemon's mount namespace: a tmpfs over /dev
# with null and urandom bound back in, and the test's socket as log.
unshare -m --propagation private sh -c '
	set -e
	mkdir -p "$1/dev.orig"
	mount --bind /dev "$1/dev.orig"
	mount -t tmpfs tmpfs /dev
	for d in null urandom random zero; do
		touch "/dev/$d"; mount --bind "$1/dev.orig/$d" "/dev/$d"
	done
	touch /dev/log; mount --bind "$2" /dev/log
	shift 2
	exec "$@"' sh "$XR_TMP" "$SOCK" \
	"$XR_BUILD/xrelayd" --media 127.0.0.1 --ports 42100-42199 --ctl "$XR_TMP/ctl.sock"
xr_eq "xrelayd without -f: the parent exits 0 once started" "$?" 0
ctl() { "$XR_BUILD/xrelayctl" -s "$XR_TMP/ctl.sock" "$@"; }
pid=$(ctl --json status | python3 -c 'import json, sys; print(json.load(sys.stdin)["pid"])')
xr_ok "the daemon answers (pid $pid)" [ -n "$pid" ]
[ -n "$pid" ] && XR_PIDS+=("$pid")

# wait_line REGEX : the syslog capture has a line matching REGEX (5 s).
wait_line() {
	for _ in $(seq 1 50); do grep -qE "$1" "$OUTF" && return 0; sleep 0.1; done
	return 1
}
xr_ok "start-up line: <30> (daemon.info), xrelayd[$pid]: main: ..." \
	wait_line "^<30>.* xrelayd\\[$pid\\]: main: xrelayd [0-9.]+ running: pid $pid"
xr_ok "the control socket's line: ctl: listening" wait_line "^<30>.* xrelayd\\[$pid\\]: ctl: listening on "
xr_eq "no debug line at the default level" "$(grep -c '^<31>' "$OUTF")" 0

ctl media create 127.0.0.1:4000 127.0.0.1:5000 >/dev/null
ctl log level media debug >/dev/null
xr_ok "log.level change logged: <30> ctl: log level of media: info -> debug" \
	wait_line "^<30>.* ctl: log level of media: info -> debug"
xr_eq "no debug line for the session made at info" "$(grep -c '^<31>' "$OUTF")" 0
ctl media create 127.0.0.1:4002 127.0.0.1:5002 >/dev/null
xr_ok "at debug: <31> (daemon.debug) media: session ... created" \
	wait_line "^<31>.* xrelayd\\[$pid\\]: media: session [0-9]+ created: "
kill -HUP "$pid"
xr_ok "a reload is logged" wait_line "^<30>.* main: reload: 0 change\\(s\\) applied, 0 ignored"
kill -TERM "$pid"
xr_ok "the stop is logged" wait_line "^<30>.* main: stopped"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
xr_ok "the daemon is gone" bash -c "! kill -0 $pid 2>/dev/null"
wait "$rx"
xr_ok "every line is facility daemon with the ident xrelayd[$pid]" \
	bash -c "! grep -vE '^<(2[4-9]|3[01])>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} xrelayd\\[$pid\\]: [a-z]+: ' '$OUTF'"
xr_done
