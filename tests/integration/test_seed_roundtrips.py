"""Round trips of a small seed load (issue 12 item 4): once a connection is
ready, a load of up to 1,000 rows costs at most three round trips to the
server - `mdfs seed` and a `cp` (or `>>`) through the mount, on both servers
and the hostile stand-in (which refuses pipelining: one multi-statement query
instead). Counted by the tests' TCP proxy (tests/harness/tcpproxy.py), each
client turn of the conversation one round trip. A stand-in that refuses
both ways of batching still loads (one statement per round trip)."""
import os
import re
import subprocess

import pytest

import testbed as tb
from conftest import Mount, build_path
from tcpproxy import TcpProxy
from test_mount_write import count, query

SCHEMA = "rtrips"
TEN = "id,name,day\n" + "".join(f"{i},n{i},2024-01-{i + 1:02d}\n" for i in range(10))


@pytest.fixture
def proxied(server):
    server.psql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}", dbname="shop")
    p = TcpProxy(server.handle.port).start()
    # The proxy's count of turns is exact when they are apart in time.
    p.set_delay(20)
    yield server, p
    p.stop()


def seed_cmd(server, port, *files, extra=()):
    dsn = re.sub(r"port=\d+", f"port={port}", server.dsn("shop"))
    env = dict(os.environ, MOTHERDUCK_TOKEN=server.token)
    env.pop("PGPASSWORD", None)
    return subprocess.run([build_path("fs", "mdfs"), "seed", "--source", dsn, "--schema", SCHEMA,
                           *extra, *files], env=env, capture_output=True, text=True, timeout=300)


def turns_of(p, fn):
    p.reset()
    r = fn()
    return r, p.round_trips


def test_mdfs_seed_small_load_costs_at_most_three_round_trips(proxied, tmp_path):
    server, p = proxied
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    ten = tmp_path / "ten.csv"
    ten.write_text(TEN)
    # The same process with a file that fails before any statement: its
    # connect (TLS, password, session set-up) and goodbye, to subtract (the
    # least of three runs of each).
    base = []
    for _ in range(3):
        r, turns = turns_of(p, lambda: seed_cmd(server, p.port, str(empty)))
        assert r.returncode != 0 and "empty" in r.stderr
        base.append(turns)
    loads = []
    for _ in range(3):  # the first also creates the table, the others replace it
        r, turns = turns_of(p, lambda: seed_cmd(server, p.port, str(ten)))
        assert r.returncode == 0, r.stderr
        loads.append(turns)
    print(f"ROUNDTRIPS mdfs seed {server.id}: {min(loads) - min(base)} (process {loads}, connect+exit {base})")
    assert min(loads) - min(base) <= 3, (loads, base)
    assert count(server, "ten", SCHEMA) == 10


def mount_via(server, p, path):
    opts = []
    if server.engine == "duckdb":
        source = "md:"
        opts = ["host=127.0.0.1", f"port={p.port}"]
    else:
        source = re.sub(r"port=\d+", f"port={p.port}", server.dsn())
    return Mount(server, path, source=source, opts=opts, allowed_stderr=("loaded ",)).start()


def test_through_the_mount_a_small_load_costs_at_most_three_round_trips(proxied, tmp_path):
    server, p = proxied
    src = tmp_path / "ten.csv"
    src.write_text(TEN)
    m = mount_via(server, p, tmp_path / "mnt")
    try:
        d = m.path("shop", SCHEMA)
        results = {}
        for what, cmd in (("cp new", ["cp", str(src), "t.csv"]), ("cp over", ["cp", str(src), "t.csv"]),
                          (">>", ["bash", "-c", f"tail -n +2 {src} >> t.csv"])):
            for attempt in range(3):
                # A listing first (the connection ready, the catalog cached),
                # as a shell's completion or a script's `ls` would.
                os.listdir(d)
                idle_before = idle_closed(server)
                r, turns = turns_of(p, lambda: subprocess.run(cmd, cwd=d, capture_output=True, text=True,
                                                              timeout=120))
                assert r.returncode == 0, r.stderr
                if idle_closed(server) == idle_before:
                    break  # else the hostile stand-in closed the idle connection: again
            results[what] = turns
        assert count(server, "t", SCHEMA) == 20
        print(f"ROUNDTRIPS mount {server.id}: {results}")
        assert all(t <= 3 for t in results.values()), results
    finally:
        m.stop()


def idle_closed(server):
    if server.engine != "duckdb":
        return 0
    return server.handle.stats().get("idle_closed", 0)


@pytest.mark.parametrize("refuse", [("refuse_pipelining",), ("refuse_pipelining", "refuse_multi_statement")],
                         ids=["no-pipeline", "no-batching"])
def test_a_server_refusing_batching_still_loads(standin_factory, tmp_path, refuse):
    """Each way of batching refused in turn (the stand-in's switches): the
    load falls back and is right; a failure still rolls back."""
    s = standin_factory(extra_args=[f"--{r.replace('_', '-')}" for r in refuse])
    s.psql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}", dbname="shop")
    ten = tmp_path / "ten.csv"
    ten.write_text(TEN)
    p = TcpProxy(s.handle.port).start()
    try:
        for _ in range(2):
            r = seed_cmd(s, p.port, str(ten))
            assert r.returncode == 0, r.stderr
        assert count(s, "ten", SCHEMA) == 10
        bad = tmp_path / "ten2.csv"
        bad.write_text("id\n1\n")
        r = seed_cmd(s, p.port, str(ten), str(bad), extra=("--column-type", "name=integer"))
        assert r.returncode != 0
        assert query(s, f"SELECT count(*), min(name) FROM {SCHEMA}.ten") == [["10", "n0"]]
        assert s.handle.stats()["active_queries"] == 0
    finally:
        p.stop()
