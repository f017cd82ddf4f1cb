#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# tests/e2e/sipp_go.py - the test's hand on a SIPp scenario's <recvCmd/>
# steps: a scenario waits there until the test says "go", never for a fixed
# time, so a slow machine cannot let a call move on before the test is done
# with its current step.
#
#   sipp_go.py ADDR:PORT FIFO
#
# SIPp runs with `-3pcc ADDR:PORT` (a scenario with <recvCmd/> and no
# <sendCmd/> makes it listen there as 3PCC "controller B").  This process
# connects (retrying while SIPp starts, 30 s at most), holds the connection
# for SIPp's whole life (SIPp quits when its twin goes away), and for each
# line read from FIFO (a Call-ID) sends one command to that call: SIPp's
# twin framing, headers then ESC.  It exits when SIPp closes the connection.
import os
import select
import socket
import sys
import time


def connect(addr, port, secs):
    deadline = time.monotonic() + secs
    while True:
        try:
            return socket.create_connection((addr, port), timeout=2)
        except OSError as e:
            if time.monotonic() > deadline:
                sys.exit("sipp_go: no 3PCC listener at %s:%d: %s" % (addr, port, e))
            time.sleep(0.05)


def main():
    addr, port = sys.argv[1].rsplit(":", 1)
    # O_RDWR: the FIFO never reports EOF while the test has not written yet.
    fifo = os.open(sys.argv[2], os.O_RDWR | os.O_NONBLOCK)
    s = connect(addr.strip("[]"), int(port), 30)
    s.setblocking(False)
    print("connected to %s:%s" % (addr, port), flush=True)
    pending = b""
    while True:
        r, _, _ = select.select([s, fifo], [], [])
        if s in r:
            try:
                if not s.recv(4096):
                    break
            except BlockingIOError:
                pass
            except OSError:
                break
        if fifo in r:
            pending += os.read(fifo, 4096)
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                cid = line.strip().decode()
                if not cid:
                    continue
                s.setblocking(True)
                s.sendall(("Call-ID: %s\r\n\r\n\x1b" % cid).encode())
                s.setblocking(False)
                print("go %s" % cid, flush=True)
    print("SIPp closed the connection", flush=True)


if __name__ == "__main__":
    main()
