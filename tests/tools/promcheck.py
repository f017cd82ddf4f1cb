#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""promcheck.py - a strict checker of the Prometheus text exposition format
(0.0.4), for `xrelayctl metrics` and the --metrics HTTP endpoint.

Reads the exposition from a file (or stdin with "-") and exits 0 when it is
valid, 1 with one line per problem on stderr otherwise.  Checked: metric
and label names, "# HELP" and "# TYPE" lines (at most one of each per
family, both before its first sample, TYPE one of counter, gauge,
histogram, summary, untyped), every sample belonging to the family just
announced (families not interleaved), label syntax and escapes, no label
given twice, values that parse as floats (NaN, +Inf, -Inf allowed),
optional integer timestamps, no duplicate series, counters ending in
_total and never negative, a newline at the end.  With --require-help and
--require-type (both default on) every family must have HELP and TYPE.
--json prints {"families": N, "samples": N} on success.
"""
import argparse
import json
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")
SPECIAL = ("NaN", "+Inf", "-Inf", "Inf")


def parse_labels(s, pos, errs, where):
    """Parse '{a="b",c="d"}' starting at s[pos] == '{'.  Returns (labels, pos after '}')."""
    labels = []
    i = pos + 1
    while True:
        while i < len(s) and s[i] == " ":
            i += 1
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        m = re.match(r"[a-zA-Z_][a-zA-Z0-9_]*", s[i:])
        if not m:
            errs.append(f"{where}: bad label name at column {i + 1}")
            return None, None
        name = m.group(0)
        i += len(name)
        if s[i:i + 2] != '="':
            errs.append(f"{where}: label {name}: expected =\"")
            return None, None
        i += 2
        val = []
        while True:
            if i >= len(s):
                errs.append(f"{where}: label {name}: unterminated value")
                return None, None
            c = s[i]
            if c == "\\":
                if i + 1 >= len(s) or s[i + 1] not in '\\"n':
                    errs.append(f"{where}: label {name}: bad escape")
                    return None, None
                val.append({"\\": "\\", '"': '"', "n": "\n"}[s[i + 1]])
                i += 2
                continue
            if c == '"':
                i += 1
                break
            if c == "\n":
                errs.append(f"{where}: label {name}: raw newline in value")
                return None, None
            val.append(c)
            i += 1
        if name.startswith("__"):
            errs.append(f"{where}: label {name}: names starting with __ are reserved")
        labels.append((name, "".join(val)))
        if i < len(s) and s[i] == ",":
            i += 1
            continue
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        errs.append(f"{where}: expected , or }} after label {name}")
        return None, None


def parse_value(v):
    if v in SPECIAL:
        return float(v.replace("Inf", "inf").replace("NaN", "nan"))
    if not FLOAT.match(v):
        raise ValueError(v)
    return float(v)


def family_of(name, types):
    """The family a sample name belongs to (histogram/summary suffixes)."""
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf) and types.get(name[: -len(suf)]) in ("histogram", "summary"):
            return name[: -len(suf)]
    return name


def check(text, require_help=True, require_type=True):
    errs = []
    helps, types = {}, {}
    seen_family_samples = set()    # families that already had samples
    closed = set()                 # families whose block ended
    current = None
    series = set()
    nsamples = 0
    if text and not text.endswith("\n"):
        errs.append("the exposition does not end with a newline")
    for ln, line in enumerate(text.split("\n")[:-1] if text.endswith("\n") else
                              text.split("\n"), 1):
        where = f"line {ln}"
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 2 and parts[1] in ("HELP", "TYPE"):
                if len(parts) < 3:
                    errs.append(f"{where}: # {parts[1]} without a metric name")
                    continue
                name = parts[2]
                if not NAME.match(name):
                    errs.append(f"{where}: bad metric name '{name}'")
                    continue
                if name in seen_family_samples:
                    errs.append(f"{where}: # {parts[1]} {name} after its samples")
                if name in closed:
                    errs.append(f"{where}: family {name} appears in two blocks")
                if current is not None and current != name:
                    closed.add(current)
                current = name
                if parts[1] == "HELP":
                    if name in helps:
                        errs.append(f"{where}: second # HELP for {name}")
                    helps[name] = parts[3] if len(parts) > 3 else ""
                    if not helps[name].strip():
                        errs.append(f"{where}: empty # HELP for {name}")
                else:
                    if name in types:
                        errs.append(f"{where}: second # TYPE for {name}")
                    t = parts[3] if len(parts) > 3 else ""
                    if t not in TYPES:
                        errs.append(f"{where}: # TYPE {name} '{t}' is not one of "
                                    f"{', '.join(TYPES)}")
                    types[name] = t
            continue            # other comments are allowed
        m = re.match(r"[^{ ]+", line)
        if not m:
            errs.append(f"{where}: no metric name")
            continue
        name = m.group(0)
        if not NAME.match(name):
            errs.append(f"{where}: bad metric name '{name}'")
            continue
        i = len(name)
        labels = []
        if i < len(line) and line[i] == "{":
            labels, i = parse_labels(line, i, errs, where)
            if labels is None:
                continue
        rest = line[i:]
        if not rest.startswith(" "):
            errs.append(f"{where}: expected a space before the value")
            continue
        fields = rest.split()
        if len(fields) not in (1, 2) or rest != " " + " ".join(fields):
            errs.append(f"{where}: expected 'value [timestamp]' after the name")
            continue
        try:
            value = parse_value(fields[0])
        except ValueError:
            errs.append(f"{where}: value '{fields[0]}' is not a float")
            continue
        if len(fields) == 2 and not re.match(r"-?\d+\Z", fields[1]):
            errs.append(f"{where}: timestamp '{fields[1]}' is not an integer")
        names = [n for n, _ in labels]
        if len(set(names)) != len(names):
            errs.append(f"{where}: a label given twice")
        fam = family_of(name, types)
        if fam != current:
            if fam in closed or fam in seen_family_samples:
                errs.append(f"{where}: sample of {fam} outside its family's block")
            elif require_type or require_help:
                errs.append(f"{where}: sample of {fam} without # HELP/# TYPE just before")
            if current is not None:
                closed.add(current)
            current = fam
        seen_family_samples.add(fam)
        if require_help and fam not in helps:
            errs.append(f"{where}: {fam} has no # HELP")
        if require_type and fam not in types:
            errs.append(f"{where}: {fam} has no # TYPE")
        if types.get(fam) == "counter":
            if not name.endswith("_total"):
                errs.append(f"{where}: counter {name} does not end in _total")
            if value < 0:
                errs.append(f"{where}: counter {name} is negative")
        key = (name, tuple(sorted(labels)))
        if key in series:
            errs.append(f"{where}: duplicate series {name}{dict(labels)}")
        series.add(key)
        nsamples += 1
    return errs, len(seen_family_samples), nsamples


GOOD = """# HELP a_total A.
# TYPE a_total counter
a_total{method="INVITE",code="200"} 3
a_total{method="BYE"} 0
# HELP b B, with "quotes".
# TYPE b gauge
b -1.5e3
b{x="a\\"b\\\\c\\nd"} NaN
b{x="y"} +Inf 1700000000000
"""

# (what is wrong, exposition): each must be refused.
BAD = [
    ("no HELP", "# TYPE a gauge\na 1\n"),
    ("no TYPE", "# HELP a A.\na 1\n"),
    ("TYPE after sample", "# HELP a A.\na 1\n# TYPE a gauge\n"),
    ("bad TYPE", "# HELP a A.\n# TYPE a meter\na 1\n"),
    ("two TYPEs", "# HELP a A.\n# TYPE a gauge\n# TYPE a gauge\na 1\n"),
    ("bad name", "# HELP 1a A.\n# TYPE 1a gauge\n1a 1\n"),
    ("bad value", "# HELP a A.\n# TYPE a gauge\na one\n"),
    ("bad label", "# HELP a A.\n# TYPE a gauge\na{1x=\"b\"} 1\n"),
    ("unquoted label", "# HELP a A.\n# TYPE a gauge\na{x=b} 1\n"),
    ("bad escape", "# HELP a A.\n# TYPE a gauge\na{x=\"\\q\"} 1\n"),
    ("label twice", "# HELP a A.\n# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n"),
    ("duplicate series", "# HELP a A.\n# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n"),
    ("counter without _total", "# HELP a A.\n# TYPE a counter\na 1\n"),
    ("negative counter", "# HELP a_total A.\n# TYPE a_total counter\na_total -1\n"),
    ("interleaved", "# HELP a A.\n# TYPE a gauge\na 1\n# HELP b B.\n# TYPE b gauge\n"
     "b 1\na{x=\"2\"} 1\n"),
    ("no final newline", "# HELP a A.\n# TYPE a gauge\na 1"),
    ("trailing junk", "# HELP a A.\n# TYPE a gauge\na 1 2 3\n"),
    ("float timestamp", "# HELP a A.\n# TYPE a gauge\na 1 1.5\n"),
    ("empty", ""),
]


def selftest():
    errs, _, n = check(GOOD)
    ok = not errs and n == 5
    if not ok:
        print(f"promcheck selftest: a valid exposition refused: {errs}", file=sys.stderr)
    for what, text in BAD:
        e, _, _ = check(text)
        if not text.strip():
            e = e or ["empty"]
        if not e:
            print(f"promcheck selftest: accepted: {what}", file=sys.stderr)
            ok = False
    print(f"promcheck selftest: {'ok' if ok else 'FAILED'} ({len(BAD) + 1} cases)")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description="strict Prometheus text format check")
    ap.add_argument("file", nargs="?", help="exposition file, - for stdin")
    ap.add_argument("--selftest", action="store_true",
                    help="check the checker on known good and bad expositions")
    ap.add_argument("--no-require-help", action="store_true")
    ap.add_argument("--no-require-type", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.selftest:
        return selftest()
    if not a.file:
        ap.error("a file (or -) is needed")
    text = sys.stdin.read() if a.file == "-" else open(a.file, encoding="utf-8").read()
    errs, nfam, nsamp = check(text, not a.no_require_help, not a.no_require_type)
    if not text.strip():
        errs.append("empty exposition")
    for e in errs[:50]:
        print(f"promcheck: {e}", file=sys.stderr)
    if errs:
        return 1
    if a.json:
        print(json.dumps({"families": nfam, "samples": nsamp}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
