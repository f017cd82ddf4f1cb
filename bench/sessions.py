#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# bench/sessions.py - creates the benchmark's relayed sessions in bulk and
# writes, one a line, the relay address:port side A must send to (rtpflood's
# --dst-file).  Two back ends:
#   xrelay SOCK N A B OUT      xrelayd's control socket (JSON lines, protocol v1,
#                              requests pipelined, at most WINDOW unanswered)
#   rtpengine ADDR N A B OUT   rtpengine's ng protocol (bencode over UDP): an
#                              offer with A's SDP, an answer with B's, per call
# bench/run.sh makes xrelayd's sessions with build/sessbench (C) instead: this
# Python client reaches ~28,000 sessions/s, below what xrelayd answers.
# Prints one JSON line: {"created": n, "wanted": N, "seconds": s, "error": ...}.
# Stops at the first refusal (e.g. no free port pair) and says why; exit 0
# when all N were created, 1 otherwise.
import json
import os
import socket
import sys
import time

WINDOW = 256


def xrelay(sock_path, n, a, b, out):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.settimeout(60)
    f = s.makefile("rb")
    args = {"a": a, "b": b}
    sent = done = 0
    err = None
    dsts = []
    t0 = time.monotonic()
    while done < n:
        batch = []
        while sent < n and sent - done < WINDOW:
            batch.append(json.dumps({"v": 1, "id": sent, "cmd": "media.create",
                                     "args": args}) + "\n")
            sent += 1
        if batch:
            s.sendall("".join(batch).encode())
        line = f.readline()
        if not line:
            err = "xrelayd closed the control socket"
            break
        r = json.loads(line)
        done += 1
        if not r.get("ok"):
            err = "media.create %s: %s (%s)" % (r.get("id", done), r.get("error"),
                                                r.get("code"))
            break
        dsts.append(r["result"]["a"]["relay"])
    secs = time.monotonic() - t0
    s.close()
    with open(out, "w") as o:
        o.write("".join(d + "\n" for d in dsts))
    return len(dsts), secs, err


# ---- rtpengine ng: bencode -------------------------------------------------
def benc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(benc(k) + benc(v[k]) for k in sorted(v)) + b"e"
    raise TypeError(v)


def bdec(b, i=0):
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c == b"l":
        i += 1
        out = []
        while b[i:i + 1] != b"e":
            v, i = bdec(b, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while b[i:i + 1] != b"e":
            k, i = bdec(b, i)
            v, i = bdec(b, i)
            out[k.decode()] = v
        return out, i + 1
    j = b.index(b":", i)
    n = int(b[i:j])
    return b[j + 1:j + 1 + n], j + 1 + n


def sdp(addr, port, sess):
    return ("v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
            % (sess, addr, addr, port))


def media_of(sdp_bytes):
    addr = port = None
    for line in sdp_bytes.decode().split("\r\n"):
        if line.startswith("c=IN IP4 "):
            addr = line.split()[-1]
        elif line.startswith("m=audio "):
            port = int(line.split()[1])
    return addr, port


def rtpengine(ng, n, a, b, out):
    host, port = ng.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    dst = (host, int(port))
    aa, ap = a.rsplit(":", 1)
    ba, bp = b.rsplit(":", 1)
    dsts = []
    err = None
    t0 = time.monotonic()

    def call(cookie, d):
        s.sendto(cookie.encode() + b" " + benc(d), dst)
        while True:
            data = s.recv(65535)
            ck, _, body = data.partition(b" ")
            if ck.decode() == cookie:
                r, _ = bdec(body)
                return r

    for i in range(n):
        cid = "xrbench-%d-%d" % (os.getpid(), i)
        try:
            r = call("o%d" % i, {"command": "offer", "call-id": cid, "from-tag": "ft%d" % i,
                                 "sdp": sdp(aa, int(ap), i), "direction": ["a", "b"],
                                 "replace": ["origin", "session-connection"]})
            if r.get("result") != b"ok":
                err = "offer %d: %s" % (i, r.get("error-reason", r.get("result")))
                break
            r = call("a%d" % i, {"command": "answer", "call-id": cid, "from-tag": "ft%d" % i,
                                 "to-tag": "tt%d" % i, "sdp": sdp(ba, int(bp), i),
                                 "replace": ["origin", "session-connection"]})
            if r.get("result") != b"ok":
                err = "answer %d: %s" % (i, r.get("error-reason", r.get("result")))
                break
        except (OSError, ValueError) as e:
            err = "ng call %d: %s" % (i, e)
            break
        addr, p = media_of(r["sdp"])
        dsts.append("%s:%d" % (addr, p))
    secs = time.monotonic() - t0
    with open(out, "w") as o:
        o.write("".join(d + "\n" for d in dsts))
    return len(dsts), secs, err


def main():
    if len(sys.argv) != 7 or sys.argv[1] not in ("xrelay", "rtpengine"):
        sys.exit("usage: sessions.py xrelay|rtpengine SOCK|ADDR:PORT N A-ADDR:PORT "
                 "B-ADDR:PORT OUT")
    kind, where, n, a, b, out = sys.argv[1:]
    n = int(n)
    created, secs, err = (xrelay if kind == "xrelay" else rtpengine)(where, n, a, b, out)
    print(json.dumps({"created": created, "wanted": n, "seconds": round(secs, 3),
                      "error": err}))
    sys.exit(0 if created == n else 1)


if __name__ == "__main__":
    main()
