#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ops_man.sh - the man pages: groff and man-db find nothing to warn about,
# and each page documents everything its program's --help lists (every
# xrelayd option, every xrelayctl command, every rtpflood option), so a new
# option without documentation fails here.
source "$(dirname "$0")/lib.sh"

command -v groff >/dev/null && command -v man >/dev/null || xr_skip "groff/man-db missing"
[ -x "$XR_BUILD/xrelayd" ] && [ -x "$XR_BUILD/xrelayctl" ] && [ -x "$XR_BUILD/rtpflood" ] ||
	xr_skip "build first (make)"
cd "$XR_ROOT"

for page in man/xrelayd.8 man/xrelayctl.8 man/rtpflood.1; do
	xr_eq "$page: groff -wall finds nothing" \
		"$(groff -wall -mandoc -Tutf8 -z "$page" 2>&1)" ""
	xr_eq "$page: man --warnings finds nothing" \
		"$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)" ""
	xr_ok "$page: has NAME, SYNOPSIS, DESCRIPTION, SEE ALSO" bash -c \
		"for s in NAME SYNOPSIS DESCRIPTION 'SEE ALSO'; do
			grep -qE \"^\\.SH \\\"?\$s\\\"?\$\" '$page' || exit 1; done"
done

# has_opt PAGE OPT : the page mentions --OPT (written \-\- in roff).
has_opt() { grep -qF -- "\\-\\-${2//-/\\-}" "$1"; }

# Every long option of xrelayd --help.
n=0
for o in $("$XR_BUILD/xrelayd" --help | grep -oE '^ +(-[a-z], )?--[a-z0-9-]+' | sed 's/.*--//'); do
	n=$((n + 1))
	xr_ok "xrelayd.8 documents --$o" has_opt man/xrelayd.8 "$o"
done
xr_ge "xrelayd --help lists options" "$n" 25
# man_entry PAGE OPT : the text of the .TP entry whose tag names --OPT.
man_entry() {
	python3 - "$1" "$2" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split("\n")
want = re.escape("\\-\\-" + sys.argv[2].replace("-", "\\-"))
tagre = re.compile(r'(^|[\s"])' + want + r'(?!\\-)(?=$|[\s"]|\\f)')
for i, l in enumerate(lines):
    if l == ".TP" and i + 1 < len(lines):
        tag = lines[i + 1]
        if tagre.search(tag):
            body = []
            for m in lines[i + 2:]:
                if m.startswith((".TP", ".SS", ".SH")):
                    break
                body.append(m)
            print("\n".join(body))
PY
}
# Every option --help marks [reload] is marked so in its entry, and no other.
for o in $("$XR_BUILD/xrelayd" --help | grep -oE '^ +(-[a-z], )?--[a-z0-9-]+' | sed 's/.*--//'); do
	if "$XR_BUILD/xrelayd" --help | grep -E -- "--$o( |\$)" | grep -q '\[reload\]'; then
		want=1
	else
		want=0
	fi
	xr_eq "xrelayd.8: --$o marked [reload] as in --help" \
		"$(man_entry man/xrelayd.8 "$o" | grep -c '^\.B \[reload\]')" "$want"
done

# Every xrelayctl command (its words, as the page's .B/.BI lines give them).
n=0
while read -r cmd; do
	n=$((n + 1))
	xr_ok "xrelayctl.8 documents '$cmd'" grep -qE "^\\.(B|BI|BR) \"?$cmd\"?( |\$)" man/xrelayctl.8
done < <("$XR_BUILD/xrelayctl" --help | sed -n '/^commands:/,$p' | tail -n +2 |
	 sed -E 's/^ +//; s/ +[A-Z[].*$//; s/ {2,}.*$//' | sed -E 's/ (ID|AOR|ADDR:PORT).*$//')
xr_ge "xrelayctl --help lists commands" "$n" 15
for o in socket json help; do
	xr_ok "xrelayctl.8 documents --$o" has_opt man/xrelayctl.8 "$o"
done

# Every rtpflood option.
n=0
for o in $("$XR_BUILD/rtpflood" --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]*' | sed 's/--//' | sort -u); do
	n=$((n + 1))
	xr_ok "rtpflood.1 documents --$o" has_opt man/rtpflood.1 "$o"
done
xr_ge "rtpflood --help lists options" "$n" 20
for m in gen sink fwd; do
	xr_ok "rtpflood.1 has a section for $m" grep -qx ".SS $m" man/rtpflood.1
done
xr_done
