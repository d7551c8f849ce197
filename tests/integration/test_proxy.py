"""The tests' TCP proxy (tests/harness/tcpproxy.py): what the frozen-endpoint
tests and the slow-link benchmark rely on. Through it psql works, a frozen link
stalls a query without closing anything, a thawed one finishes it, the delay
is added to each round trip, and round trips are counted."""
import os
import re
import subprocess
import time

import pytest

import testbed as tb
from tcpproxy import TcpProxy


@pytest.fixture
def proxied(pg):
    p = TcpProxy(pg.handle.port).start()
    dsn = re.sub(r"port=\d+", f"port={p.port}", pg.source)
    env = dict(os.environ, PGPASSWORD=pg.token)
    yield p, dsn, env
    p.stop()


def psql(dsn, env, sql, **kw):
    return subprocess.Popen(["psql", "-X", "-qAt", "-d", dsn, "-c", sql], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_forwards_and_counts_round_trips(proxied):
    p, dsn, env = proxied
    out, err = psql(dsn, env, "SELECT 40 + 2").communicate(timeout=60)
    assert out.strip() == "42", err
    # TLS and SCRAM take several turns; the query itself at least one.
    assert p.round_trips >= 3
    p.reset()
    assert p.round_trips == 0


def test_frozen_link_stalls_until_thawed(proxied):
    p, dsn, env = proxied
    p.freeze()  # before psql starts: on loopback the whole exchange takes milliseconds
    q = psql(dsn, env, "SELECT 1")
    try:
        tb.wait_for(lambda: p.open_connections() == 1, 30, "psql to connect to the proxy")
        with pytest.raises(subprocess.TimeoutExpired):
            q.wait(timeout=1.5)
        assert p.open_connections() == 1  # frozen, not closed
    finally:
        p.thaw()
    out, err = q.communicate(timeout=60)
    assert q.returncode == 0 and out.strip() == "1", err


def test_delay_is_added_to_each_round_trip(proxied):
    p, dsn, env = proxied
    p.set_delay(400)
    t0 = time.monotonic()
    out, _ = psql(dsn, env, "SELECT 1").communicate(timeout=60)
    slow = time.monotonic() - t0
    turns = p.round_trips
    assert out.strip() == "1"
    # A turn starts when the client sends after having received: between two
    # turns its bytes went out (200 ms) and an answer came back (200 ms). A
    # lower bound that a busy machine cannot break, and far above psql's own
    # time without delay (TLS + SCRAM + the query: several turns).
    assert turns >= 3
    assert slow >= 0.4 * (turns - 1) * 0.95, (slow, turns)
