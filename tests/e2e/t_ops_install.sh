#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ops_install.sh - `make install` with DESTDIR and PREFIX: exactly the
# expected files with the expected modes, the unit's paths following SBINDIR
# and SYSCONFDIR, an operator's config never replaced, the installed daemon
# checking the installed config, and the unit passing systemd-analyze verify.
source "$(dirname "$0")/lib.sh"

[ -x "$XR_BUILD/xrelayd" ] && [ -x "$XR_BUILD/xrelayctl" ] && [ -x "$XR_BUILD/rtpflood" ] ||
	xr_skip "build first (make)"
cd "$XR_ROOT"

# inst DESTDIR [make vars] : make install quietly; its status.
inst() {
	local d=$1; shift
	make --no-print-directory -s install DESTDIR="$d" OUT="${OUT:-build}" "$@" \
		>"$XR_TMP/install.log" 2>&1 || { cat "$XR_TMP/install.log"; return 1; }
}

# files DIR : every file under DIR with its mode, sorted.
files() { (cd "$1" && find . -type f -printf '%m %P\n' | sort); }

D=$XR_TMP/d1
xr_ok "make install DESTDIR=... (PREFIX default)" inst "$D"
xr_eq "the installed files and their modes" "$(files "$D")" "$(sort <<'EOF2'
644 etc/xrelay/xrelayd.conf
644 usr/local/lib/systemd/system/xrelayd.service
644 usr/local/lib/sysusers.d/xrelay.conf
644 usr/local/share/doc/xrelay/xrelayd.conf.example
644 usr/local/share/man/man1/rtpflood.1
644 usr/local/share/man/man8/xrelayctl.8
644 usr/local/share/man/man8/xrelayd.8
755 usr/local/bin/rtpflood
755 usr/local/sbin/xrelayctl
755 usr/local/sbin/xrelayd
EOF2
)"
xr_ok "binaries are the built ones" cmp "$D/usr/local/sbin/xrelayd" "$XR_BUILD/xrelayd"
xr_ok "the config is the example" cmp "$D/etc/xrelay/xrelayd.conf" dist/xrelayd.conf
xr_eq "the unit starts /usr/local/sbin/xrelayd with /etc/xrelay/xrelayd.conf" \
	"$(grep '^ExecStart=' "$D/usr/local/lib/systemd/system/xrelayd.service")" \
	"ExecStart=/usr/local/sbin/xrelayd -c /etc/xrelay/xrelayd.conf -f --user xrelay"
xr_ok "the installed xrelayd accepts the installed config (-n)" \
	"$D/usr/local/sbin/xrelayd" -n -c "$D/etc/xrelay/xrelayd.conf"
xr_ok "the installed man page renders" bash -c "man -l '$D/usr/local/share/man/man8/xrelayd.8' |
	grep -q 'SIGHUP'"

# A second install keeps what the operator wrote.
echo "# mine" >>"$D/etc/xrelay/xrelayd.conf"
xr_ok "make install again" inst "$D"
xr_eq "the operator's config is kept" "$(tail -n 1 "$D/etc/xrelay/xrelayd.conf")" "# mine"

# Other directories: the unit follows them.
D2=$XR_TMP/d2
xr_ok "make install PREFIX=/usr SYSCONFDIR=/etc/opt" inst "$D2" PREFIX=/usr SYSCONFDIR=/etc/opt
xr_eq "the unit follows SBINDIR and SYSCONFDIR" \
	"$(grep -E '^Exec(Start|StartPre)=/' "$D2/usr/lib/systemd/system/xrelayd.service")" \
	"ExecStartPre=/usr/sbin/xrelayd -n -c /etc/opt/xrelay/xrelayd.conf
ExecStart=/usr/sbin/xrelayd -c /etc/opt/xrelay/xrelayd.conf -f --user xrelay"
xr_ok "binaries under PREFIX=/usr" test -x "$D2/usr/sbin/xrelayd" -a -x "$D2/usr/bin/rtpflood"
xr_ok "config under SYSCONFDIR" test -f "$D2/etc/opt/xrelay/xrelayd.conf"

# systemd-analyze verify on a real install (no DESTDIR), so its paths exist.
if command -v systemd-analyze >/dev/null; then
	P=$XR_TMP/p
	xr_ok "make install PREFIX=$P SYSCONFDIR=$P/etc" inst "" PREFIX="$P" SYSCONFDIR="$P/etc"
	out=$(MANPATH="$P/share/man" systemd-analyze verify \
		"$P/lib/systemd/system/xrelayd.service" 2>&1)
	xr_eq "systemd-analyze verify: no complaint" "$out" ""
fi
xr_done
