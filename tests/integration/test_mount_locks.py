"""Issue 10, "nothing waits forever", seen from the server: after racing
writers, a failed load, a load over a table someone is reading, or a writer
killed while its load waits, a query of the table by another client returns
at once and no session of the server is left idle in a transaction or
waiting for a lock. On PostgreSQL a load's DROP TABLE waits for every reader
of the table and every later query of it waits behind the DROP: mdfs bounds
that wait (lock_timeout, half of io_timeout), and the server ends a statement
whose client has given the connection up (client_connection_check_interval),
so an abandoned load never stays queued, holding everyone, and never commits
later."""
import os
import signal
import subprocess
import time

import pytest

import testbed as tb
from test_mount_write import _rows_file, table_rows

ALLOWED = ("loaded ", "not loaded", "load ", "failed", "interrupted", "lock timeout",
           "connection lost", "another process opened it")
# A query by the test's own psql must return within this (it takes well under
# a second on an idle machine; the margin is for a machine at load 10).
QUERY_DEADLINE = 20


def psql_within(server, sql, deadline=QUERY_DEADLINE):
    """Run sql with the test's own psql; fail the test when it does not return
    within deadline seconds (a lock left held or queued by mdfs). The rows."""
    env = dict(os.environ, PGPASSWORD=server.admin_token)
    try:
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                            "-d", server.dsn("shop"), "-c", sql],
                           env=env, capture_output=True, text=True, timeout=deadline)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{sql!r} did not return within {deadline} s: "
                             f"{stuck_sessions(server)}") from None
    assert r.returncode == 0, r.stderr
    return [line.split("\t") for line in r.stdout.splitlines()]


def stuck_sessions(server):
    """PostgreSQL sessions (other than this query's) idle in a transaction or
    waiting for a lock; [] on the stand-in, which has neither."""
    if server.engine != "postgres":
        return []
    r = server.psql("SELECT pid, state, wait_event_type, left(query, 80) FROM pg_stat_activity "
                    "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND "
                    "(state LIKE 'idle in transaction%' OR wait_event_type = 'Lock')",
                    dbname="shop", args=("-A", "-t", "-F", "\t"), check=False)
    return [line for line in r.stdout.splitlines() if line]


def assert_nothing_stuck(server):
    """Within a few seconds (a backend ending after its client went away takes
    up to client_connection_check_interval, 1 s), nothing is stuck."""
    try:
        tb.wait_for(lambda: not stuck_sessions(server), 10, "no stuck session")
    except TimeoutError:
        raise AssertionError(f"sessions left stuck: {stuck_sessions(server)}") from None


def count_of(server, table):
    return int(psql_within(server, f"SELECT count(*) FROM {table}")[0][0])


def locks_on(server, table):
    """Locks on table held or awaited by sessions other than this query's
    (PostgreSQL)."""
    return psql_within(server, "SELECT pid, mode, granted FROM pg_catalog.pg_locks "
                               f"WHERE relation = pg_catalog.to_regclass('{table}') "
                               "AND pid <> pg_backend_pid()")


def assert_no_late_commit(server, table, rows):
    """After the reader closed: a load still queued for its lock would take
    it now and commit. Once no other session holds or awaits a lock on the
    table (the reader's ends with its query), none is left to commit: the
    table must have kept its rows."""
    try:
        tb.wait_for(lambda: not locks_on(server, table), QUERY_DEADLINE, "no lock on the table")
    except TimeoutError:
        raise AssertionError(f"locks left on {table}: {locks_on(server, table)}") from None
    assert count_of(server, table) == rows


def fresh_schema(server, mount, schema):
    server.psql(f"DROP SCHEMA IF EXISTS {schema} CASCADE", dbname="shop")
    os.mkdir(mount.path("shop", schema))
    return mount.path("shop", schema)


def wait_cp(p, what):
    try:
        _, err = p.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError(f"{what}: cp did not finish within 300 s") from None
    return p.returncode, err


def test_racing_creators_of_a_new_table(server, mount_factory, tmp_path):
    """`cp big.csv t.csv & cp small.csv t.csv` on a name that does not exist,
    in both orders and a few timings: each cp succeeds or fails with a clear
    errno - EEXIST at create (GNU cp opens a new name with O_EXCL, and the
    other creator made it first: ext4 says the same) or EBUSY at close (a
    later writer of the name replaced this one's file) - at least one
    succeeds, the table equals one of the two files exactly, and a query of it
    by another client returns at once, with no session left in a transaction."""
    m = mount_factory(server, allowed_stderr=ALLOWED)
    d = fresh_schema(server, m, "races")
    big = _rows_file(tmp_path / "big.csv", "big", 20000)
    small = _rows_file(tmp_path / "small.csv", "s", 2)
    srcs = {"big": str(tmp_path / "big.csv"), "small": str(tmp_path / "small.csv")}
    seen = set()
    for i in range(8):
        order = ("big", "small") if i % 2 == 0 else ("small", "big")
        dest = os.path.join(d, f"t{i}.csv")
        procs = []
        for k, which in enumerate(order):
            if k and i >= 4:
                time.sleep(0.01 * (i - 3))  # the second starts a little later
            procs.append((which, subprocess.Popen(["cp", srcs[which], dest],
                                                  stderr=subprocess.PIPE, text=True)))
        outcome = {}
        for which, p in procs:
            rc, err = wait_cp(p, which)
            assert rc == 0 or "File exists" in err or "Device or resource busy" in err, (which, err)
            outcome[which] = "ok" if rc == 0 else "EEXIST" if "File exists" in err else "EBUSY"
        seen.add(tuple(sorted(outcome.items())))
        assert "ok" in outcome.values(), outcome
        count = int(psql_within(server, f"SELECT count(*) FROM races.t{i}")[0][0])
        assert count in (len(big), len(small)), (outcome, count)
        rows = table_rows(server, f"t{i}", schema="races")
        assert rows == (big if count == len(big) else small), outcome
        for which, how in outcome.items():
            if how != "ok":  # a loser's file never got in
                assert rows == (small if which == "big" else big), outcome
        assert_nothing_stuck(server)
    assert seen, "no round ran"


def test_a_failed_load_over_a_table_being_read(server, mount_factory, tmp_path):
    """A bad CSV copied over an existing table while other processes `cat` it:
    close() fails with EINVAL, every reader reads the old table whole, the
    table is unchanged, and another client's query returns at once."""
    m = mount_factory(server, allowed_stderr=ALLOWED + ("values",))
    d = fresh_schema(server, m, "badload")
    old = _rows_file(tmp_path / "old.csv", "old", 3000)
    old_bytes = (tmp_path / "old.csv").read_bytes()
    assert subprocess.run(["cp", str(tmp_path / "old.csv"), os.path.join(d, "t.csv")]).returncode == 0
    with open(tmp_path / "bad.csv", "w") as f:
        f.write("id,name\n" + "".join(f"{i},new{i}\n" for i in range(3000)) + "1,2,3,4,5\n")
    path = os.path.join(d, "t.csv")
    readers = [subprocess.Popen(["sh", "-c", f"for i in 1 2 3; do cat '{path}'; done"],
                                stdout=subprocess.PIPE) for _ in range(2)]
    rc, err = wait_cp(subprocess.Popen(["cp", str(tmp_path / "bad.csv"), path],
                                       stderr=subprocess.PIPE, text=True), "bad")
    assert rc != 0 and "Invalid argument" in err, err
    for r in readers:
        out, _ = r.communicate(timeout=120)
        assert out == old_bytes * 3
    assert int(psql_within(server, "SELECT count(*) FROM badload.t")[0][0]) == len(old)
    assert table_rows(server, "t", schema="badload") == old
    assert_nothing_stuck(server)


def paused_reader(path):
    """A reader that opened the table's file and stopped after 100 bytes: its
    server query stays open (the rest of the rows wait in the socket), so the
    table is in use, as by `less t.csv`."""
    f = open(path, "rb", buffering=0)
    assert f.read(100).startswith(b"id,name\n")
    return f


@pytest.mark.parametrize("server", ["postgres"], indirect=True)
def test_a_load_over_a_table_being_read_fails_fast_and_blocks_no_one(server, mount_factory,
                                                                     tmp_path):
    """While a reader keeps the table open, a load of it cannot take its lock:
    close() fails with EBUSY after lock_timeout (io_timeout / 2 = 2 s here),
    saying why; meanwhile and afterwards other clients' queries of the table
    return at once, nothing stays queued, and the table stays the old one
    after the reader closes. (Before: the load's DROP TABLE stayed queued
    after mdfs gave up (EIO at io_timeout), every query of the table hung
    until the reader closed, and then the "failed" load committed.)"""
    m = mount_factory(server, opts=("io_timeout=4",), allowed_stderr=ALLOWED)
    d = fresh_schema(server, m, "inuse")
    old = _rows_file(tmp_path / "old.csv", "old", 300000)  # more than the socket buffers hold
    _rows_file(tmp_path / "new.csv", "new", 2)
    path = os.path.join(d, "t.csv")
    assert subprocess.run(["cp", str(tmp_path / "old.csv"), path]).returncode == 0
    reader = paused_reader(path)
    try:
        t0 = time.monotonic()
        rc, err = wait_cp(subprocess.Popen(["cp", str(tmp_path / "new.csv"), path],
                                           stderr=subprocess.PIPE, text=True), "new")
        assert rc != 0 and "Device or resource busy" in err, err
        assert time.monotonic() - t0 < 60
        with open(path + ".error") as f:
            assert "in use" in f.read()
        # The reader still has it open: other clients are not held.
        assert count_of(server, "inuse.t") == len(old)
        assert_nothing_stuck(server)
        assert locks_on(server, "inuse.t"), "the paused reader's lock (what the wait below waits out)"
    finally:
        reader.close()
    assert_no_late_commit(server, "inuse.t", len(old))
    # With the reader gone the same load goes through.
    assert subprocess.run(["cp", str(tmp_path / "new.csv"), path]).returncode == 0
    assert count_of(server, "inuse.t") == 2


@pytest.mark.parametrize("server", ["postgres"], indirect=True)
def test_a_writer_killed_while_its_load_waits_leaves_nothing(server, mount_factory, tmp_path):
    """kill -9 of a `cp` whose load waits for a lock a reader holds (the
    lock wait is long here: io_timeout=60): mdfs gives the load's connection
    up at once, the server ends the waiting DROP within a second, so another
    client's query returns at once although the reader is still open, and the
    killed writer's file never gets in, not even after the reader closes."""
    m = mount_factory(server, opts=("io_timeout=60",), allowed_stderr=ALLOWED)
    d = fresh_schema(server, m, "killed")
    old = _rows_file(tmp_path / "old.csv", "old", 300000)
    _rows_file(tmp_path / "new.csv", "new", 2)
    path = os.path.join(d, "t.csv")
    assert subprocess.run(["cp", str(tmp_path / "old.csv"), path]).returncode == 0
    reader = paused_reader(path)
    try:
        cp = subprocess.Popen(["cp", str(tmp_path / "new.csv"), path], stderr=subprocess.DEVNULL)
        tb.wait_for(lambda: any("DROP TABLE" in s for s in stuck_sessions(server)), 60,
                    "the load to wait for its lock")
        cp.send_signal(signal.SIGKILL)
        cp.wait(60)
        assert count_of(server, "killed.t") == len(old)
        assert_nothing_stuck(server)
        assert locks_on(server, "killed.t"), "the paused reader's lock (what the wait below waits out)"
    finally:
        reader.close()
    assert_no_late_commit(server, "killed.t", len(old))
    assert_nothing_stuck(server)
