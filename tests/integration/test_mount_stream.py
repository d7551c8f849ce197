"""Streaming first (issue 13 item 1): a plain reader gets its first bytes
without the table being spooled, while readers that trust st_size (DuckDB's
read_csv, polars) and pandas still read whole tables; a table above spool_max
gives a size-trusting reader an error, never a short file (issue 10 item 4).
See fs/csv_file.h and docs/benchmarks.md, "Streaming first"."""
import errno
import os
import subprocess
import threading

import pytest

import testbed as tb
from conftest import REPO, default_profile_only, duckdb_query, run_node_json
from test_mount_read import engine_csv, setup_schema

BIG_ROWS = 2_000_000


def polars_read(path):
    """polars (nodejs-polars, tests/clients) reads a CSV file: it statx()es and mmaps it."""
    return run_node_json([os.path.join(REPO, "tests", "clients", "polars_read.mjs"), path])


def pandas_rows(path):
    """Rows pandas.read_csv reads (Debian's python3-pandas, in a process of its own)."""
    r = subprocess.run(["/usr/bin/python3", "-c",
                        "import sys, pandas; print(len(pandas.read_csv(sys.argv[1])))", path],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return int(r.stdout)


@pytest.fixture
def shop(server, mount_factory):
    setup_schema(server)
    m = mount_factory(server)
    return m, m.path("shop", "mt")


def make_big(server):
    if server.engine == "duckdb":
        server.psql(f"CREATE OR REPLACE TABLE mt.big AS SELECT range AS n, 'row ' || range AS label "
                    f"FROM range({BIG_ROWS})")
    else:
        server.psql(f"DROP TABLE IF EXISTS mt.big; CREATE TABLE mt.big AS SELECT g AS n, "
                    f"'row ' || g AS label FROM generate_series(0, {BIG_ROWS - 1}) g")


def active_queries(server):
    """Queries running on the server for mdfs (the tests' own psql excluded)."""
    if server.engine == "duckdb":
        return server.handle.stats()["active_queries"]
    out = server.psql("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                      "AND query ILIKE '%mt%big%' AND pid <> pg_backend_pid() AND backend_type = 'client backend'", args=("-tA",)).stdout
    return int(out.split()[0])


def test_cat_into_head_streams_and_the_query_goes(server, shop):
    """cat fstats its input before the first read: that first question is
    answered at once, so `cat | head -n1` never waits for (or spools) the
    whole table, and the server's query is cancelled when cat goes."""
    m, base = shop
    make_big(server)
    before = server.handle.stats() if server.engine == "duckdb" else None
    r = subprocess.run(f"cat '{os.path.join(base, 'big.csv')}' | head -n1", shell=True,
                       capture_output=True, text=True, timeout=120)
    assert r.stdout == "n,label\n"
    tb.wait_for(lambda: active_queries(server) == 0, 30, "the stream's query to end")
    if before is not None and server.handle.config()["cancel"] == "honour":
        # The query was cancelled, not run to its end into a spool.
        assert server.handle.stats()["cancels"] > before["cancels"]


def read_all(fd):
    out = b""
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return out
        out += chunk


@default_profile_only()
def test_the_openers_fstats(server, shop):
    """The opener's first fstat gets 0 at once; a second one before any read
    gets the exact size (what DuckDB and polars do); one after a read gets 0
    (less; Python's readline() then read()). Python's open() is one fstat.
    Each thread's opens answer its own fstats."""
    m, base = shop
    path = os.path.join(base, "numbers.csv")
    whole = open(path, "rb").read()
    fd = os.open(path, os.O_RDONLY)
    try:
        assert os.fstat(fd).st_size == 0
        assert os.fstat(fd).st_size == len(whole)
        assert read_all(fd) == whole
    finally:
        os.close(fd)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert os.read(fd, 10) == whole[:10]
        assert os.fstat(fd).st_size == 0
        assert os.fstat(fd).st_size == 0
        assert read_all(fd) == whole[10:]
        assert os.fstat(fd).st_size == len(whole)  # known once the stream ended
    finally:
        os.close(fd)
    with open(path, "rb") as f:
        assert os.fstat(f.fileno()).st_size == len(whole)  # open() asked first
        # Someone else's stat never waits for (or reports) another reader's stream.
        other = subprocess.run(["stat", "-c", "%s", path], capture_output=True, text=True, check=True)
        assert other.stdout.strip() == "0"
    # fstat() reaches the daemon by path: the asking thread's own open
    # answers, not the newest open of its process. Here another thread opens
    # the file after this one and reads first (its handle would say 0); this
    # thread's second fstat still gets the exact size. (The TSan stress
    # test's early closer once got 0 this way.)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert os.fstat(fd).st_size == 0
        later = {}

        def open_and_read():
            later["fd"] = os.open(path, os.O_RDONLY)
            later["head"] = os.read(later["fd"], 10)
        t = threading.Thread(target=open_and_read)
        t.start()
        t.join()
        try:
            assert later["head"] == whole[:10]
            assert os.fstat(fd).st_size == len(whole)
            assert read_all(fd) == whole
        finally:
            os.close(later["fd"])
    finally:
        os.close(fd)


def test_duckdb_polars_pandas_read_whole_tables(server, shop):
    m, base = shop
    path = os.path.join(base, "numbers.csv")
    assert duckdb_query(f"SELECT count(*), sum(n), max(label) FROM read_csv('{path}')") == \
        [["100000", "4999950000", "label 99999"]]
    got = polars_read(path)
    assert got["rows"] == 100000 and got["columns"] == ["n", "label"]
    assert pandas_rows(path) == 100000
    every = os.path.join(base, "every_type.csv")
    assert polars_read(every)["rows"] == 8
    assert pandas_rows(every) == 8


def test_csv_bytes_are_the_engines_own_export(server, shop):
    """Streaming changed when bytes arrive, not which: the file is the
    engine's own CSV export, byte for byte (rows in any order)."""
    m, base = shop
    got = open(os.path.join(base, "numbers.csv"), "rb").read().decode()
    want = engine_csv(server, "SELECT * FROM mt.numbers")
    got_lines, want_lines = got.split("\n"), want.split("\n")
    assert got_lines[0] == want_lines[0] and got.endswith("\n") and want.endswith("\n")
    assert sorted(got_lines[1:]) == sorted(want_lines[1:])


@pytest.mark.parametrize("server", ["postgres"], indirect=True)
def test_above_spool_max_a_size_trusting_reader_gets_an_error(server, mount_factory):
    """numbers.csv is ~1.3 MB, spool_max 1 MB: DuckDB and polars, which need
    the size, fail with EFBIG (logged) instead of reading an empty file;
    stream readers (cat, pandas) still read it all."""
    setup_schema(server)
    m = mount_factory(server, opts=("spool_max=1",), allowed_stderr=("larger than spool_max",))
    path = m.path("shop", "mt", "numbers.csv")
    assert subprocess.run(f"cat '{path}' | wc -l", shell=True, capture_output=True, text=True,
                          check=True).stdout.strip() == "100001"
    assert pandas_rows(path) == 100000
    fd = os.open(path, os.O_RDONLY)
    try:
        assert os.fstat(fd).st_size == 0
        with pytest.raises(OSError) as e:
            os.fstat(fd)
        assert e.value.errno == errno.EFBIG
    finally:
        os.close(fd)
    r = subprocess.run(["node", os.path.join(REPO, "tests", "standin", "duckdb_query.mjs"),
                        f"SELECT count(*) FROM read_csv('{path}')"], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode != 0 and "File too large" in r.stderr, r.stdout + r.stderr
    r = subprocess.run(["node", os.path.join(REPO, "tests", "clients", "polars_read.mjs"), path],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode != 0, r.stdout
    assert "larger than spool_max" in m.stderr()


def spooled_bytes(m, spool_dir):
    """Bytes in the daemon's spool files under spool_dir (its open descriptors)."""
    total = 0
    fds = f"/proc/{m.proc.pid}/fd"
    for fd in os.listdir(fds):
        try:
            if os.readlink(os.path.join(fds, fd)).startswith(str(spool_dir)):
                total += os.stat(os.path.join(fds, fd)).st_size
        except FileNotFoundError:
            pass
    return total


@pytest.mark.parametrize("server", ["duckdb", "postgres"], indirect=True)
def test_a_straight_reader_spools_only_the_head(server, mount_factory, tmp_path):
    """numbers.csv is ~1.3 MB, spool_head 1 MB: a reader that reads straight
    through leaves only the head on disk (writing every table read to disk
    cost the daemon as much CPU as formatting it), and a seek back into the
    head still gives the same bytes; behind it, EIO (logged). A reader that
    comes back while everything is still spooled (less re-reads its first
    bytes at once; a sniffer reads a sample and seeks to 0) keeps it all."""
    setup_schema(server)
    spool = tmp_path / "spool"
    spool.mkdir()
    m = mount_factory(server, opts=("spool_head=1", f"spool_dir={spool}"),
                      allowed_stderr=("behind the",))
    path = m.path("shop", "mt", "numbers.csv")
    with open(path, "rb", buffering=0) as f:
        whole = read_all(f.fileno())
        assert whole.count(b"\n") == 100001 and len(whole) > (1 << 20) + 100000
        assert spooled_bytes(m, spool) == 1 << 20
        f.seek(4242)
        assert f.read(100) == whole[4242:4342]
        f.seek(len(whole) - 1000)
        with pytest.raises(OSError) as e:
            f.read(100)
        assert e.value.errno == errno.EIO
    assert "behind the 1048576-byte re-read spool" in m.stderr()
    with open(path, "rb", buffering=0) as f:
        sample = f.read(4096)
        f.seek(0)
        again = read_all(f.fileno())
        assert again.startswith(sample) and again == whole
        assert spooled_bytes(m, spool) == len(whole)
        f.seek(len(whole) - 1000)
        assert f.read(1000) == whole[-1000:]
