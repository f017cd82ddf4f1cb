#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# tests/e2e/sipflood.py - a bounded INVITE flood for the limit tests
# (t_sec_floods.sh): COUNT INVITEs over UDP from one socket, back to back,
# each a new call (its own Call-ID, From tag, branch) with an SDP of MLINES
# m= lines and about PAD bytes of X-Pad header lines, GAP seconds apart; every final response is ACKed hop by
# hop (RFC 3261 17.1.1.3) so no transaction waits for one.  Collects until
# every call has its final or TIMEOUT seconds passed, then prints one JSON
# line: {"sent", "finals": {code: calls}, "pending", "retry_after": finals
# carrying Retry-After, "warning": the first Warning seen}.  Test tool only.
import argparse
import json
import socket
import time


def hdr(msg, name):
    for line in msg.split("\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def sdp(ip, mlines):
    body = "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n" % (ip, ip)
    for i in range(mlines):
        body += "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" % (40000 + 2 * i)
    return body


def padding(pad):
    lines, n = "", 0
    while len(lines) < pad:
        lines += "X-Pad-%d: %s\r\n" % (n, "x" * 480)
        n += 1
    return lines


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--local", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--ruri", required=True)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--mlines", type=int, default=1)
    p.add_argument("--pad", type=int, default=0)
    p.add_argument("--gap", type=float, default=0)
    p.add_argument("--tag", default="fl")
    p.add_argument("--timeout", type=float, default=10)
    a = p.parse_args()
    host, _, port = a.server.rpartition(":")
    dst = (host, int(port))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((a.local, 0))
    lp = s.getsockname()[1]
    body, pad = sdp(a.local, a.mlines), padding(a.pad)
    calls, finals, ra, warn = {}, {}, 0, None

    def drain(block):
        nonlocal ra, warn
        s.settimeout(block)
        while True:
            try:
                data, _ = s.recvfrom(65535)
            except (socket.timeout, BlockingIOError, TimeoutError):
                return
            s.settimeout(0)
            msg = data.decode(errors="replace")
            if not msg.startswith("SIP/2.0 "):
                continue
            code = int(msg.split(" ", 2)[1])
            cid = hdr(msg, "Call-ID") or hdr(msg, "i")
            if code < 200 or cid not in calls:
                continue
            c = calls[cid]
            ack = ("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=%s\r\nMax-Forwards: 70\r\n"
                   "From: <sip:mallory@%s>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\n"
                   "Content-Length: 0\r\n\r\n" % (a.ruri, a.local, lp, c["branch"], a.local,
                                                  c["ftag"], hdr(msg, "To"), cid))
            s.sendto(ack.encode(), dst)
            if c["final"] is None:
                c["final"] = code
                finals[str(code)] = finals.get(str(code), 0) + 1
                ra += hdr(msg, "Retry-After") is not None
                if warn is None:
                    warn = hdr(msg, "Warning")

    for i in range(a.count):
        cid = "%s-%d-%d@%s" % (a.tag, lp, i, a.local)
        c = {"branch": "z9hG4bK-%s-%d-%d" % (a.tag, lp, i), "ftag": "%s%d" % (a.tag, i),
             "final": None}
        calls[cid] = c
        msg = ("INVITE %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=%s\r\nMax-Forwards: 70\r\n"
               "From: <sip:mallory@%s>;tag=%s\r\nTo: <%s>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
               "Contact: <sip:mallory@%s:%d>\r\n%sContent-Type: application/sdp\r\n"
               "Content-Length: %d\r\n\r\n%s" % (a.ruri, a.local, lp, c["branch"], a.local,
                                                 c["ftag"], a.ruri, cid, a.local, lp, pad,
                                                 len(body), body))
        s.sendto(msg.encode(), dst)
        drain(a.gap)
    end = time.time() + a.timeout
    while time.time() < end and any(c["final"] is None for c in calls.values()):
        drain(0.2)
    print(json.dumps({"sent": a.count, "finals": finals,
                      "pending": sum(c["final"] is None for c in calls.values()),
                      "retry_after": ra, "warning": warn}))


if __name__ == "__main__":
    main()
