#!/usr/bin/env python3
"""A TCP proxy for the tests and benchmarks: a slow link, a frozen link, and
a count of round trips.

    p = TcpProxy(target_port).start()   # listens on 127.0.0.1:p.port
    p.set_delay(40)                      # ms added to each round trip (half each way)
    p.freeze(); ...; p.thaw()            # stop forwarding, sockets stay open
    p.round_trips                        # client turns since start / reset()
    p.stop()

Only 127.0.0.1 on both sides. A "round trip" is counted each time the client
sends after having received something (or sends first): one request/answer
turn of the conversation, whatever its size. Frozen, the proxy neither reads
nor writes, so the peers' sockets stay open and their writes back up, as
behind a dead NAT or a stuck proxy.

Also a command: tcpproxy.py TARGET_PORT [--delay-ms N] prints "READY <port>"
and runs until killed.
"""
import argparse
import collections
import socket
import sys
import threading
import time

CHUNK = 256 * 1024


class _Pipe:
    """One direction of one connection: a reader thread queues what arrives,
    a writer thread sends it once it is due (arrival + one-way delay)."""

    def __init__(self, proxy, conn, src, dst, upstream):
        self.proxy, self.conn, self.src, self.dst, self.upstream = proxy, conn, src, dst, upstream
        self.q = collections.deque()
        self.cv = threading.Condition()
        self.eof = False

    def start(self):
        for fn in (self._read, self._write):
            threading.Thread(target=fn, daemon=True).start()

    def _read(self):
        while True:
            self.proxy._wait_thawed()
            try:
                data = self.src.recv(CHUNK)
            except OSError:
                data = b""
            if data and self.upstream:
                self.conn.client_sent()
            elif data:
                self.conn.server_sent()
            with self.cv:
                self.q.append((time.monotonic() + self.proxy.delay_s / 2, data))
                self.cv.notify()
            if not data:
                return

    def _write(self):
        while True:
            with self.cv:
                while not self.q:
                    self.cv.wait()
                due, data = self.q[0]
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.proxy._wait_thawed()
            with self.cv:
                self.q.popleft()
            if not data:
                try:
                    self.dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                self.conn.half_closed()
                return
            try:
                self.dst.sendall(data)
            except OSError:
                self.conn.close()
                return


class _Conn:
    def __init__(self, proxy, client, server):
        self.proxy, self.client, self.server = proxy, client, server
        self.lock = threading.Lock()
        self.last_from_server = True  # a client's first bytes are a turn
        self.halves = 0

    def client_sent(self):
        with self.lock:
            if self.last_from_server:
                self.last_from_server = False
                self.proxy._count_turn()

    def server_sent(self):
        with self.lock:
            self.last_from_server = True

    def half_closed(self):
        with self.lock:
            self.halves += 1
            done = self.halves == 2
        if done:
            self.close()

    def close(self):
        for s in (self.client, self.server):
            try:
                s.close()
            except OSError:
                pass
        self.proxy._forget(self)


class TcpProxy:
    def __init__(self, target_port, target_host="127.0.0.1", delay_ms=0):
        self.target = (target_host, target_port)
        self.delay_s = delay_ms / 1000.0
        self._thawed = threading.Event()
        self._thawed.set()
        self._lock = threading.Lock()
        self._conns = set()
        self._turns = 0
        self.connections_total = 0
        self._sock = None
        self.port = None

    def start(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(128)
        self._sock = s
        self.port = s.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self):
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return  # stopped
            try:
                server = socket.create_connection(self.target, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            for x in (client, server):
                x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c = _Conn(self, client, server)
            with self._lock:
                self._conns.add(c)
                self.connections_total += 1
            _Pipe(self, c, client, server, True).start()
            _Pipe(self, c, server, client, False).start()

    def _count_turn(self):
        with self._lock:
            self._turns += 1

    def _forget(self, c):
        with self._lock:
            self._conns.discard(c)

    def _wait_thawed(self):
        self._thawed.wait()

    @property
    def round_trips(self):
        with self._lock:
            return self._turns

    def reset(self):
        with self._lock:
            self._turns = 0

    def set_delay(self, round_trip_ms):
        self.delay_s = round_trip_ms / 1000.0

    def freeze(self):
        """Stop forwarding in both directions; every socket stays open."""
        self._thawed.clear()

    def thaw(self):
        self._thawed.set()

    def open_connections(self):
        with self._lock:
            return len(self._conns)

    def stop(self):
        self.thaw()
        if self._sock:
            self._sock.close()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            c.close()


def _main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("target_port", type=int)
    ap.add_argument("--delay-ms", type=float, default=0, help="added to each round trip")
    a = ap.parse_args()
    p = TcpProxy(a.target_port, delay_ms=a.delay_ms).start()
    print(f"READY {p.port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    p.stop()


if __name__ == "__main__":
    sys.exit(_main())
