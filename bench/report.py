#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# bench/report.py - the tables and the JSON of the benchmarks from the rounds
# the scripts recorded (one JSON object a line).  Medians over rounds.
#   report.py media ROUNDS NOTES SETUP OUT.json KEY=VALUE...   (bench/run.sh)
#   report.py sip   STEPS OUT.json KEY=VALUE...                (bench/sip.sh)
#   report.py markdown RESULTS.json...   markdown tables of saved results (README)
# The JSON carries the machine (kernel, CPU, cores, git commit), the run's
# parameters, every round and the medians, so a results file stands alone.
import json
import os
import platform
import statistics
import subprocess
import sys
import time


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)),
                                 "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = ""
    mem = 0
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20)
    except (ValueError, OSError):
        pass
    return {"kernel": platform.release(), "cpu": cpu, "cores": os.cpu_count(),
            "memory_mib": mem, "commit": commit,
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def load(path):
    out = []
    try:
        for line in open(path):
            line = line.strip()
            if line:
                out.append(json.loads(line))
    except OSError:
        pass
    return out


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def params(argv):
    return dict(a.split("=", 1) for a in argv)


NAMES = {"xdp": "xrelayd --xdp", "user": "xrelayd userspace", "limit": "host limit (XDP fwd)",
         "bleed": "--xdp + bleed flood",
         "plain": "Linux routing", "rtpengine": "rtpengine (user)"}


def fmt(v, f="%.0f", none="-"):
    return none if v is None else f % v


def media(argv):
    rounds, notes, setup = load(argv[0]), load(argv[1]), load(argv[2])
    out, par = argv[3], params(argv[4:])
    # Relayed pps: what reached the sink over the generator's sending time.
    # (The sink's own first-to-last rate overstates a relay that stalls or
    # drains a queue late; for a chain that keeps up the two are equal.)
    for r in rounds:
        r["sink_pps"] = r["pps"]
        r["pps"] = (r["received"] * r["offered_pps"] / r["sent"]) if r["sent"] else 0.0
    groups = {}
    for r in rounds:
        groups.setdefault((r["case"], r["flows"], r["payload"]), []).append(r)
    rows = []
    for (c, f, p), rs in groups.items():
        rows.append({
            "case": c, "flows": f, "payload": p, "rounds": len(rs),
            "pps": med([r["pps"] for r in rs]),
            "offered_pps": med([r["offered_pps"] for r in rs]),
            "loss_pct": med([r["loss_pct"] for r in rs]),
            "lat_p50_us": med([r["lat_p50_us"] for r in rs]),
            "lat_p99_us": med([r["lat_p99_us"] for r in rs]),
            # CPU per packet means nothing when (almost) nothing got through
            "cpu_ms_per_mpkt": med([r["cpu_ms_per_mpkt"] if r["received"] >= 1000 else None
                                    for r in rs]),
            "relay_cpu_ms_per_mpkt": med([r.get("relay_cpu_ms_per_mpkt") for r in rs]),
            "xdp_ns_per_pkt": med([r.get("xdp_ns_per_pkt") for r in rs]),
            "pps_min": min(r["pps"] for r in rs), "pps_max": max(r["pps"] for r in rs),
        })
    by = {(r["case"], r["flows"], r["payload"]): r for r in rows}
    rnd = {(r["case"], r["flows"], r["payload"], r["round"]): r for r in rounds}

    def paired(r, other):
        """The median over rounds of this case's pps over the other's in the same
        round (run.sh runs a flow count's cases round by round, the limit just
        before xdp), and the range of those; else the ratio of the medians."""
        o = by.get((other, r["flows"], r["payload"]))
        if not o or not o["pps"]:
            return None, None, None
        rs = [(x["pps"], rnd.get((other, r["flows"], r["payload"], x["round"])))
              for x in groups[(r["case"], r["flows"], r["payload"])]]
        q = [a / b["pps"] for a, b in rs if b and b["pps"]]
        if not q:
            return r["pps"] / o["pps"], None, None
        return med(q), min(q), max(q)

    for r in rows:
        r["ratio_to_limit"], r["ratio_to_limit_min"], r["ratio_to_limit_max"] = \
            paired(r, "limit")
        r["ratio_to_user"], r["ratio_to_user_min"], r["ratio_to_user_max"] = paired(r, "user")
        r["ratio_of_medians_to_limit"] = (r["pps"] / by[("limit", r["flows"], r["payload"])]["pps"]
                                          if by.get(("limit", r["flows"], r["payload"]))
                                          and by[("limit", r["flows"], r["payload"])]["pps"]
                                          else None)
        # bleed: the legitimate flows' share of their offered rate kept under the flood
        r["kept"] = (r["pps"] / r["offered_pps"] if r["case"] == "bleed" and
                     r.get("offered_pps") else None)
    order = {c: i for i, c in enumerate(["xdp", "bleed", "user", "rtpengine", "limit", "plain"])}
    rows.sort(key=lambda r: (r["payload"] != 172, r["payload"], r["flows"],
                             order.get(r["case"], 9)))

    # Scaling: each case's pps at its most flows against its pps at its fewest.
    scaling = []
    for c in sorted({r["case"] for r in rows}, key=lambda c: order.get(c, 9)):
        for p in sorted({r["payload"] for r in rows}):
            rs = sorted((r for r in rows if r["case"] == c and r["payload"] == p),
                        key=lambda r: r["flows"])
            if len(rs) >= 2 and rs[0]["pps"]:
                scaling.append({"case": c, "payload": p, "from_flows": rs[0]["flows"],
                                "to_flows": rs[-1]["flows"],
                                "pps_change_pct": 100.0 * (rs[-1]["pps"] / rs[0]["pps"] - 1)})

    # Session setup: one per case, flow count and round; the median time.
    sg = {}
    for x in setup:
        sg.setdefault((x["case"], x["flows"]), []).append(x)
    setup_med = []
    for (c, f), xs in sorted(sg.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        t = med([x["setup_s"] for x in xs])
        n = xs[0].get("sessions", f)	# bench/run.sh: 2 flows a session
        setup_med.append({"case": c, "flows": f, "sessions": n, "rounds": len(xs),
                          "created": min(x["created"] for x in xs), "setup_s": t,
                          "per_s": n / t if t else None,
                          "error": next((x["error"] for x in xs if x.get("error")), None)})

    m = machine()
    print()
    print("media benchmark: %s rounds of %s s per case, medians; %s, %s cores, kernel %s, %s"
          % (par.get("rounds"), par.get("duration"), m["cpu"], m["cores"], m["kernel"],
             m["date"]))
    hdr = ("%-7s %-4s %-21s %11s %8s %8s %7s %15s %11s"
           % ("flows", "B", "case", "pps", "/limit", "/user", "loss%", "p50/p99us", "CPU ms/Mpkt"))
    print(hdr)
    print("-" * len(hdr))
    ns = any(r["xdp_ns_per_pkt"] for r in rows)
    for r in rows:
        print("%-7d %-4d %-21s %11s %8s %8s %7s %15s %11s%s" % (
            r["flows"], r["payload"], NAMES.get(r["case"], r["case"]), fmt(r["pps"]),
            fmt(r["ratio_to_limit"], "%.2fx"), fmt(r["ratio_to_user"], "%.1fx"),
            fmt(r["loss_pct"], "%.1f"),
            "%s/%s" % (fmt(r["lat_p50_us"]), fmt(r["lat_p99_us"])),
            fmt(r["cpu_ms_per_mpkt"], "%.0f"),
            ("  XDP prog %s ns/pkt" % fmt(r["xdp_ns_per_pkt"]) if ns and r["xdp_ns_per_pkt"]
             else "") +
            ("  %.3f of the legitimate rate kept under the flood" % r["kept"]
             if r.get("kept") else "")))
    for s in scaling:
        print("scaling %-21s %3d B: %d -> %d flows: %+.1f %% pps" % (
            NAMES.get(s["case"], s["case"]), s["payload"], s["from_flows"], s["to_flows"],
            s["pps_change_pct"]))
    for s in setup_med:
        print("setup   %-21s %7d sessions in %.2f s (%s/s, median of %d)%s" % (
            NAMES.get(s["case"], s["case"]), s["created"], s["setup_s"],
            fmt(s["per_s"]), s["rounds"],
            " (stopped: %s)" % s["error"] if s.get("error") else ""))
    for n in notes:
        print("note    %-21s %7d flows: %s" % (NAMES.get(n["case"], n["case"]), n["flows"],
                                             n["note"]))
    print("pps: packets that reached the sink per second the generator sent; loss%: sent but"
          " not received (a relay offered more than it can carry drops the rest).")
    print("CPU ms/Mpkt: busy time of all CPUs during the rounds (generator, relay and sink,"
          " and anything else running) per million packets relayed.")
    doc = {"kind": "media", "machine": m, "params": par, "results": rows,
           "scaling": scaling, "setup": setup_med, "setup_rounds": setup, "notes": notes,
           "rounds": rounds}
    with open(out, "w") as o:
        json.dump(doc, o, indent=1)
        o.write("\n")
    print("JSON: %s" % out)


def sip(argv):
    steps, out, par = load(argv[0]), argv[1], params(argv[2:])
    best = {}
    for s in steps:
        k = (s["proxy"], s["flow"])
        b = best.setdefault(k, {"proxy": s["proxy"], "flow": s["flow"], "best_cps": 0,
                                "best": None, "first_fail": None})
        if s["ok"] and s["rate"] >= b["best_cps"]:
            b["best_cps"] = s["rate"]
            b["best"] = s
        if not s["ok"] and (b["first_fail"] is None or s["rate"] < b["first_fail"]):
            b["first_fail"] = s["rate"]
    order = {"xrelayd": 0, "kamailio": 1, "kamailio+rtpengine": 2}
    rows = sorted(best.values(), key=lambda b: (b["flow"], order.get(b["proxy"], 9), b["proxy"]))
    for r in rows:
        # on a peer's row: xrelayd's highest rate over the peer's, and
        # xrelayd's CPU per call over the peer's (at each one's highest rate)
        xr = [x for x in rows if x["flow"] == r["flow"] and x["proxy"] == "xrelayd"]
        xr = xr[0] if xr and r["proxy"] != "xrelayd" else None
        r["ratio_to_peer"] = (xr["best_cps"] / r["best_cps"]
                              if xr and r["best_cps"] else None)
        xc = (xr["best"] or {}).get("cpu_us_per_call") if xr else None
        pc = (r["best"] or {}).get("cpu_us_per_call")
        r["cpu_ratio_to_peer"] = xc / pc if xc and pc else None
    m = machine()
    print()
    print("SIP benchmark: highest calls/s with 0 failed calls (%s s per step); %s, %s cores, "
          "kernel %s, %s" % (par.get("secs"), m["cpu"], m["cores"], m["kernel"], m["date"]))
    hdr = "%-9s %-18s %9s %9s %22s %12s %17s" % (
        "flow", "proxy", "calls/s", "1st fail", "setup ms p50/p90/p99", "us CPU/call",
        "xrelayd rate/CPU")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        b = r["best"] or {}
        print("%-9s %-18s %9d %9s %22s %12s %17s" % (
            r["flow"], r["proxy"], r["best_cps"], fmt(r["first_fail"], "%d", "none"),
            "%s/%s/%s" % (fmt(b.get("setup_p50_ms"), "%.1f"), fmt(b.get("setup_p90_ms"), "%.1f"),
                          fmt(b.get("setup_p99_ms"), "%.1f")),
            fmt(b.get("cpu_us_per_call"), "%.0f"),
            "%s / %s" % (fmt(r["ratio_to_peer"], "%.2fx"), fmt(r["cpu_ratio_to_peer"], "%.2fx"))
            if r["proxy"] != "xrelayd" else "-"))
    print("setup: INVITE sent to 200 OK received at the caller (SIPp response time).")
    print("xrelayd rate/CPU, on a peer's row: xrelayd's highest rate over the peer's, and"
          " xrelayd's CPU per call over the peer's.")
    doc = {"kind": "sip", "machine": m, "params": par, "results": rows, "steps": steps}
    with open(out, "w") as o:
        json.dump(doc, o, indent=1)
        o.write("\n")
    print("JSON: %s" % out)


def markdown(argv):
    """Markdown tables of saved results (the README's Performance section)."""
    for path in argv:
        d = json.load(open(path))
        m = d["machine"]
        print("<!-- %s: %s, %s cores, %s MiB, kernel %s, commit %s, %s -->" % (
            os.path.basename(path), m["cpu"], m["cores"], m["memory_mib"], m["kernel"],
            m["commit"], m["date"]))
        if d["kind"] == "media":
            print("| flows | payload | case | pps | / limit (rounds' range) | / userspace | loss | "
                  "p50 / p99 latency | CPU per Mpkt |")
            print("|------:|--------:|------|----:|--------:|------------:|-----:|"
                  "------------------:|-------------:|")
            for r in d["results"]:
                lat = (r["lat_p50_us"], r["lat_p99_us"])
                latf = ("%.0f / %.0f us" % lat if lat[1] < 10000 else
                        "%.0f / %.0f ms" % (lat[0] / 1000, lat[1] / 1000))
                print("| %s | %d B | %s | %s | %s | %s | %s %% | %s | %s ms |" % (
                    "{:,}".format(r["flows"]), r["payload"], NAMES.get(r["case"], r["case"]),
                    "{:,.0f}".format(r["pps"]), fmt(r["ratio_to_limit"], "%.2fx") +
                    (" (%.2f-%.2f)" % (r["ratio_to_limit_min"], r["ratio_to_limit_max"])
                     if r.get("ratio_to_limit_min") is not None and r["rounds"] > 1 else ""),
                    fmt(r["ratio_to_user"], "%.1fx"), fmt(r["loss_pct"], "%.1f"), latf,
                    fmt(r["cpu_ms_per_mpkt"], "%.0f")))
            if d["notes"]:
                print()
            for n in d["notes"]:
                print("- %s, %s flows: %s" % (NAMES.get(n["case"], n["case"]),
                                             "{:,}".format(n["flows"]), n["note"]))
        else:
            print("| flow | proxy | calls/s, 0 failed | first failed step | "
                  "setup p50 / p90 / p99 | CPU per call | xrelayd's rate / its | "
                  "xrelayd's CPU / its |")
            print("|------|-------|------------------:|------------------:|"
                  "----------------------:|-------------:|-----:|-----:|")
            for r in d["results"]:
                b = r["best"] or {}
                print("| %s | %s | %s | %s | %s / %s / %s ms | %s us | %s | %s |" % (
                    r["flow"], r["proxy"], "{:,}".format(r["best_cps"]),
                    fmt(r["first_fail"], "%d", "none"), fmt(b.get("setup_p50_ms")),
                    fmt(b.get("setup_p90_ms")), fmt(b.get("setup_p99_ms")),
                    fmt(b.get("cpu_us_per_call")), fmt(r.get("ratio_to_peer"), "%.2fx"),
                    fmt(r.get("cpu_ratio_to_peer"), "%.2fx")))
        print()


if __name__ == "__main__":
    kinds = {"media": media, "sip": sip, "markdown": markdown}
    if len(sys.argv) < 2 or sys.argv[1] not in kinds:
        sys.exit("usage: report.py media|sip|markdown ...")
    kinds[sys.argv[1]](sys.argv[2:])
