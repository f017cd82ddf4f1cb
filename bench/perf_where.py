#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# bench/perf_where.py - "where the microseconds go": a proxy's `perf record
# -g` samples (bench/sip.sh PROFILE=1) put into cost classes, as shares of
# all samples and, given the CPU per call and the messages per call of the
# step, as microseconds per call and per message.
#
#   perf script -i FILE -F comm,tid,ip,sym | perf_where.py [US_PER_CALL [MSGS_PER_CALL]]
#
# A sample's class: a page fault anywhere on its stack; else the system call
# on its stack (sendto, recvmmsg, epoll_wait, futex, ...; the media socket
# calls together); else, in user space, the leaf function's module by name
# prefix (sip_/parse_ parser and builder, sdp_, txn_, px_/dlg_/loc_ proxy,
# cds_lfht/rcu hash tables, malloc/free, mem*/str* copies); else the
# kernel's own (interrupts, softirqs, scheduling).  xrelayd is built without
# frame pointers, so user-space time is charged to the leaf, not its caller.
import collections
import sys

SYSCALLS = [
    ("sendto", "UDP send (sendto; the datagram's way through the veth included)"),
    ("sendmmsg", "UDP send (sendto; the datagram's way through the veth included)"),
    ("recvmmsg", "UDP receive (recvmmsg)"),
    ("recvfrom", "UDP receive (recvmmsg)"),
    ("epoll_wait", "epoll_wait (idle and wake-ups)"),
    ("futex", "thread hand-offs (futex, eventfd write/read)"),
    ("write", "thread hand-offs (futex, eventfd write/read)"),
    ("read", "thread hand-offs (futex, eventfd write/read)"),
    ("socket", "media sockets (socket, bind, setsockopt, close, getsockname)"),
    ("bind", "media sockets (socket, bind, setsockopt, close, getsockname)"),
    ("setsockopt", "media sockets (socket, bind, setsockopt, close, getsockname)"),
    ("getsockname", "media sockets (socket, bind, setsockopt, close, getsockname)"),
    ("close", "media sockets (socket, bind, setsockopt, close, getsockname)"),
    ("bpf", "BPF map updates (media flows)"),
    ("clock_gettime", "clocks"),
]
USER = [
    (("_int_malloc", "_int_free", "malloc", "free", "calloc", "realloc", "sysmalloc",
      "cfree", "malloc_consolidate", "unlink_chunk", "tcache"), "malloc/free"),
    (("__mem", "memcpy", "memmove", "memset", "memcmp", "__str", "strlen", "strn", "strc"),
     "memory copies, string functions"),
    (("sip_build", "sip_edit", "build_", "hdr_"), "SIP message building"),
    (("sip_", "parse_", "tp_input"), "SIP parsing, transport"),
    (("sdp_",), "SDP parse and rewrite"),
    (("txn_", "tx_"), "transactions"),
    (("px_", "dlg_", "loc_", "cm_", "reg_", "access_", "pike_"), "proxy, dialogs, registrar"),
    (("cds_lfht", "rcu", "urcu", "_cds"), "hash tables (liburcu)"),
    (("media_", "ports_", "fp_", "latch"), "media sessions (userspace side)"),
    (("ev_", "epoll_", "ev"), "event loop (libev)"),
    (("__vsnprintf", "snprintf", "vfprintf", "__printf", "_IO_", "printf_"), "printf formatting"),
]


def classify(stack):
    """stack: symbols leaf first."""
    if any("exc_page_fault" in s for s in stack):
        return "page faults (fresh heap pages zeroed)"
    for s in reversed(stack):	# outermost system call
        if s.startswith("__x64_sys_") or s.startswith("__ia32_sys_"):
            name = s.split("_sys_", 1)[1]
            for k, c in SYSCALLS:
                if name == k:
                    return c
            return "other system calls (%s)" % name
    leaf = stack[0] if stack else "?"
    if leaf.startswith("[k]") or leaf in ("?", "[unknown]"):
        pass
    for prefixes, c in USER:
        if leaf.startswith(prefixes):
            return c
    if leaf == "pvm_irq_enable" or any(s in ("asm_common_interrupt", "asm_sysvec_apic_timer_interrupt", "handle_softirqs",
                 "__do_softirq") for s in stack):
        return ("kernel outside system calls (interrupts, softirqs; pvm_irq_enable: where"
                " the VM's clock samples land once interrupts are on again)")
    if any("schedule" in s for s in stack):
        return "scheduling"
    return "other (%s)" % leaf


def main():
    us_call = float(sys.argv[1]) if len(sys.argv) > 1 else None
    msgs = float(sys.argv[2]) if len(sys.argv) > 2 else None
    cls = collections.Counter()
    total = 0
    for block in sys.stdin.read().split("\n\n"):
        lines = [ln.strip() for ln in block.strip().split("\n") if ln.strip()]
        if len(lines) < 2:
            continue
        stack = []
        for ln in lines[1:]:
            parts = ln.split(None, 1)
            sym = parts[1] if len(parts) > 1 else "?"
            stack.append(sym.split("+0x")[0].split(" (")[0])
        total += 1
        cls[classify(stack)] += 1
    if not total:
        sys.exit("no samples")
    others = collections.Counter()
    rows = []
    for c, n in cls.most_common():
        if c.startswith("other (") and n / total < 0.01:
            others["other"] += n
            continue
        rows.append((c, n))
    if others:
        rows.append(("other (each under 1 %)", others["other"]))
    print("| where | share | us per call | us per message |")
    print("|-------|------:|------------:|---------------:|")
    for c, n in rows:
        sh = n / total
        print("| %s | %.1f %% | %s | %s |" % (
            c, 100 * sh, "%.0f" % (sh * us_call) if us_call else "-",
            "%.1f" % (sh * us_call / msgs) if us_call and msgs else "-"))
    print("| all (%d samples) | 100 %% | %s | %s |" % (
        total, "%.0f" % us_call if us_call else "-",
        "%.1f" % (us_call / msgs) if us_call and msgs else "-"))


if __name__ == "__main__":
    main()
