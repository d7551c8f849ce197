"""The read path through a real mount, on both servers: the tree, stat,
streaming CSV with nasty data, every common reader, re-reads, early close,
parallel readers."""
import collections
import csv
import datetime
import io
import os
import re
import subprocess
import threading

import pytest

from conftest import duckdb_query

DUCK_EVERY_TYPE = r"""
DROP SCHEMA IF EXISTS mt CASCADE;
CREATE SCHEMA mt;
CREATE OR REPLACE TABLE mt.every_type (
  id INTEGER, i8 TINYINT, i16 SMALLINT, i64 BIGINT, hi HUGEINT, dec DECIMAL(18,3), dbl DOUBLE,
  s VARCHAR, b BOOLEAN, d DATE, ts TIMESTAMP, tstz TIMESTAMPTZ, iv INTERVAL, u UUID, bl BLOB,
  l INTEGER[], st STRUCT(a INTEGER, b VARCHAR));
INSERT INTO mt.every_type VALUES
 (1, -128, -32768, -9223372036854775808, -170141183460469231731687303715884105727,
  -123456789012345.678, -1.5e300, 'comma, "quote"', true, DATE '1999-12-31',
  TIMESTAMP '2024-01-02 03:04:05.123456', TIMESTAMPTZ '2024-01-02 03:04:05.5+00',
  INTERVAL '1 year 2 days 3 hours', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\xAA\x00ab'::BLOB,
  [1, 2, NULL], {'a': 1, 'b': 'x y'}),
 (2, 127, 32767, 9223372036854775807, 170141183460469231731687303715884105727,
  999999999999999.999, 0.1, E'line1\nline2\r\nline3', false, DATE '2024-02-29',
  TIMESTAMP '1970-01-01 00:00:00', TIMESTAMPTZ '2000-06-30 23:59:59+00', INTERVAL '00:00:01',
  '00000000-0000-0000-0000-000000000000', ''::BLOB, [], {'a': NULL, 'b': ''}),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, 0, 0, 0, 0, 0, -0.0, 'ünïcødé ✓ 日本 🦆', true, DATE '0001-01-01', TIMESTAMP '2262-04-11 23:47:16',
  NULL, INTERVAL '-5 days', NULL, 'plain'::BLOB, [NULL], NULL),
 (5, 1, 1, 1, 1, 1.5, 3.25, ' leading and trailing ', false, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL),
 (6, 2, 2, 2, 2, 2, 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (7, 3, 3, 3, 3, 3, 3, '"', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (8, 4, 4, 4, 4, 4, 4, E'tab\there', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"""

PG_EVERY_TYPE = r"""
DROP SCHEMA IF EXISTS mt CASCADE;
CREATE SCHEMA mt;
CREATE TYPE mt.pair AS (a integer, b text);
CREATE TABLE mt.every_type (
  id integer, i8 smallint, i16 smallint, i64 bigint, hi numeric(39,0), dec numeric(18,3),
  dbl double precision, s text, b boolean, d date, ts timestamp, tstz timestamptz, iv interval,
  u uuid, bl bytea, l integer[], st mt.pair);
SET TimeZone = 'UTC';
INSERT INTO mt.every_type VALUES
 (1, -128, -32768, -9223372036854775808, -170141183460469231731687303715884105727,
  -123456789012345.678, -1.5e300, 'comma, "quote"', true, '1999-12-31',
  '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.5+00', '1 year 2 days 3 hours',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\xaa006162', '{1,2,NULL}', ROW(1, 'x y')),
 (2, 127, 32767, 9223372036854775807, 170141183460469231731687303715884105727,
  999999999999999.999, 0.1, E'line1\nline2\r\nline3', false, '2024-02-29',
  '1970-01-01 00:00:00', '2000-06-30 23:59:59+00', '00:00:01',
  '00000000-0000-0000-0000-000000000000', '', '{}', ROW(NULL, '')),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, 0, 0, 0, 0, 0, -0.0, 'ünïcødé ✓ 日本 🦆', true, '0001-01-01', '2262-04-11 23:47:16',
  NULL, '-5 days', NULL, 'plain', '{NULL}', NULL),
 (5, 1, 1, 1, 1, 1.5, 3.25, ' leading and trailing ', false, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL),
 (6, 2, 2, 2, 2, 2, 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (7, 3, 3, 3, 3, 3, 3, '"', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (8, 4, 4, 4, 4, 4, 4, E'tab\there', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"""

ROWS_SQL = "CREATE {replace} TABLE mt.numbers AS SELECT {gen} AS n, 'label ' || {gen} AS label FROM {src}"


def setup_schema(server, dbname="shop"):
    server.psql(DUCK_EVERY_TYPE if server.engine == "duckdb" else PG_EVERY_TYPE, dbname=dbname)
    if server.engine == "duckdb":
        server.psql(ROWS_SQL.format(replace="OR REPLACE", gen="range", src="range(100000)"), dbname=dbname)
    else:
        server.psql("DROP TABLE IF EXISTS mt.numbers; " +
                    ROWS_SQL.format(replace="", gen="g", src="generate_series(0, 99999) g") +
                    "; ANALYZE mt.numbers; ANALYZE mt.every_type", dbname=dbname)


@pytest.fixture
def shop(server, mount_factory):
    setup_schema(server)
    m = mount_factory(server)
    return m, m.path("shop", "mt")


def engine_csv(server, sql):
    """The engine's own CSV export of a query."""
    if server.engine == "postgres":
        return server.psql(f"\\copy ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)").stdout
    # COPY on for this export only; the shared stand-in's own mode (its profile's) comes back after.
    before = server.handle.config()["copy_mode"]
    server.handle.control(copy_mode="allowed")
    try:
        return server.psql(f"\\copy ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)").stdout
    finally:
        server.handle.control(copy_mode=before)


def parse(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def test_tree_and_stat(server, shop):
    m, base = shop
    if server.engine == "duckdb":
        assert {"shop", "analytics"} <= set(os.listdir(m.mnt))
        assert "main" in os.listdir(m.path("shop"))
    else:
        assert sorted(os.listdir(m.mnt)) == [".queries", "shop"]
    assert "mt" in os.listdir(m.path("shop"))
    names = sorted(os.listdir(base))
    assert names == ["every_type.csv", "every_type.parquet", "every_type.sql",
                     "numbers.csv", "numbers.parquet", "numbers.sql"]
    # True modes (a writable mount): a table's CSV is replaced by writing
    # it, its Parquet file and its .sql only read; schema directories take
    # new files.
    st = os.stat(os.path.join(base, "numbers.csv"))
    assert st.st_mode & 0o170000 == 0o100000 and st.st_mode & 0o777 == 0o644
    assert os.stat(os.path.join(base, "numbers.parquet")).st_mode & 0o777 == 0o444
    assert os.stat(os.path.join(base, "numbers.sql")).st_mode & 0o777 == 0o444
    assert os.path.isdir(base) and os.stat(base).st_mode & 0o777 == 0o755
    with pytest.raises(FileNotFoundError):
        os.stat(os.path.join(base, "missing.csv"))
    with pytest.raises(FileNotFoundError):
        os.stat(m.path("no_such_db"))
    with pytest.raises(FileNotFoundError):
        os.listdir(m.path("shop", "no_such_schema"))
    # readdir(3) itself (os.listdir hides them): every listing has . and ..
    for d in (m.mnt, m.path("shop"), base):
        names = subprocess.run(["ls", "-a1", d], capture_output=True, text=True,
                               check=True).stdout.splitlines()
        assert names[:2] == [".", ".."], (d, names)


def test_every_type_parses_to_the_engines_own_csv(server, shop):
    m, base = shop
    with open(os.path.join(base, "every_type.csv"), newline="") as f:
        got = parse(f.read())
    want = parse(engine_csv(server, "SELECT * FROM mt.every_type"))
    # PostgreSQL's own CSV says t/f, and so does the hostile-profile stand-in; mdfs
    # says true/false.
    if server.engine == "postgres" or server.profile == "hostile":
        bcol = want[0].index("b")
        for row in want[1:]:
            row[bcol] = {"t": "true", "f": "false"}.get(row[bcol], row[bcol])
    if server.profile == "hostile":
        # The hostile stand-in's sessions are in Asia/Kolkata (SET TimeZone is
        # refused): its own CSV writes +05:30, mdfs the same instant in UTC.
        # Same instants, and mdfs's always in UTC.
        tcol = want[0].index("tstz")
        for row in got[1:]:
            assert not row[tcol] or row[tcol].endswith("+00"), row[tcol]
        for row in want[1:] + got[1:]:
            if row[tcol]:
                row[tcol] = datetime.datetime.fromisoformat(row[tcol])
    got_rows = sorted(got[1:], key=lambda r: int(r[0]))
    want_rows = sorted(want[1:], key=lambda r: int(r[0]))
    assert got[0] == want[0]
    assert got_rows == want_rows
    # NULL is an empty field, the empty string is "".
    with open(os.path.join(base, "every_type.csv"), "rb") as f:
        raw = f.read()
    line3 = [ln for ln in raw.split(b"\n") if ln.startswith(b"3,")][0]
    assert line3.startswith(b'3,,,,,,,"",,')


def test_common_readers(server, shop, tmp_path):
    m, base = shop
    path = os.path.join(base, "numbers.csv")
    data = open(path, "rb").read()
    lines = data.decode().splitlines()
    assert lines[0] == "n,label"
    assert len(lines) == 100001
    assert sorted(int(ln.split(",")[0]) for ln in lines[1:]) == list(range(100000))

    def sh(cmd):
        return subprocess.run(cmd, shell=True, capture_output=True, check=True).stdout

    assert sh(f"cat '{path}' | wc -l").strip() == b"100001"
    assert sh(f"wc -l < '{path}'").strip() == b"100001"
    assert sh(f"grep -c '^4242,' '{path}'").strip() == b"1"
    assert sh(f"tail -n 1 '{path}'") == (lines[-1] + "\n").encode()
    sh(f"cp '{path}' '{tmp_path}/copy.csv'")
    assert open(tmp_path / "copy.csv", "rb").read() == data
    with open(path, newline="") as f:
        assert sum(1 for _ in csv.DictReader(f)) == 100000


def test_reread_and_backward_seek_give_the_same_bytes(shop):
    m, base = shop
    path = os.path.join(base, "numbers.csv")
    with open(path, "rb", buffering=0) as f:
        first = f.read(1 << 20)
        rest = b""
        while True:
            chunk = f.read(1 << 16)
            if not chunk:
                break
            rest += chunk
        whole = first + rest
        f.seek(0)
        again = b""
        while True:
            chunk = f.read(1 << 16)
            if not chunk:
                break
            again += chunk
        assert again == whole
        f.seek(12345)
        assert f.read(100) == whole[12345:12445]


def test_parallel_readers_get_their_own_tables(server, shop):
    m, base = shop
    names = ["numbers.csv", "every_type.csv"] * 3
    results = [None] * len(names)

    def read(i):
        with open(os.path.join(base, names[i]), "rb") as f:
            results[i] = f.read()

    threads = [threading.Thread(target=read, args=(i,)) for i in range(len(names))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Every reader, not only the last one of each table, got its whole table.
    for name, data in zip(names, results):
        assert data is not None, name
        if name == "numbers.csv":
            assert data.count(b"\n") == 100001, name
        else:
            assert data.startswith(b"id,i8,i16,i64,hi,dec,dbl,s,b,"), name
    assert len({d for n, d in zip(names, results) if n == "numbers.csv"}) == 1
    assert len({d for n, d in zip(names, results) if n == "every_type.csv"}) == 1


def read_workload(base):
    """Listing, full reads, an early close (cancel) and a missing file."""
    assert sorted(os.listdir(base)) == ["every_type.csv", "every_type.parquet", "every_type.sql",
                                        "numbers.csv", "numbers.parquet", "numbers.sql"]
    for name in os.listdir(base):
        os.stat(os.path.join(base, name))
    with open(os.path.join(base, "every_type.csv"), "rb") as f:
        assert f.read().count(b"\n") >= 9
    with open(os.path.join(base, "numbers.csv"), "rb") as f:
        assert f.readline() == b"n,label\n"  # closed early: the query is cancelled
    with open(os.path.join(base, "numbers.csv"), "rb") as f:
        assert f.read().count(b"\n") == 100001
    with pytest.raises(FileNotFoundError):
        open(os.path.join(base, "missing.csv"))
    with open(os.path.join(base, "every_type.parquet"), "rb") as f:
        assert f.read(4) == b"PAR1"
    # A seed load, a failed one (error file) and a spooled temp file.
    with open(os.path.join(base, "loaded.csv"), "w") as f:
        f.write("a,b\n1,x\n")
    with pytest.raises(OSError):
        with open(os.path.join(base, "broken.csv"), "w") as f:
            f.write("a,b\n1,2,3\n")
    with open(os.path.join(base, "broken.csv.error")) as f:
        assert "3 values" in f.read()
    with open(os.path.join(base, ".tmp.swp"), "w") as f:
        f.write("scratch")
    with open(os.path.join(base, "loaded.csv"), "rb") as f:
        assert f.read() == b"a,b\n1,x\n"


def test_daemon_under_asan_and_ubsan(server, mount_factory):
    setup_schema(server)
    m = mount_factory(server, asan=True, allowed_stderr=("load /shop/mt/broken.csv", "loaded "))
    read_workload(m.path("shop", "mt"))
    # mount_factory's teardown unmounts and fails on any sanitizer report or exit status.


def test_daemon_under_valgrind(server, mount_factory):
    setup_schema(server)
    m = mount_factory(server, wrapper=("valgrind", "-q", "--leak-check=full",
                                       "--errors-for-leak-kinds=definite,indirect",
                                       "--show-leak-kinds=definite,indirect", "--error-exitcode=97"),
                      opts=("connect_timeout=60",),  # TLS under valgrind on a busy machine
                      allowed_stderr=("load /shop/mt/broken.csv", "loaded "))
    read_workload(m.path("shop", "mt"))


def test_one_catalog_query_per_listing(own_standin, mount_factory):
    s = own_standin
    s.psql("CREATE SCHEMA IF NOT EXISTS wide; " +
           "; ".join(f"CREATE TABLE wide.t{i:03d} (a INTEGER)" for i in range(200)))
    m = mount_factory(s, opts=("cache_timeout=60",))
    os.listdir(m.path("shop"))  # the root and the database are listed and cached
    before = s.handle.stats()["queries_total"]
    entries = os.listdir(m.path("shop", "wide"))
    for e in entries:
        os.stat(m.path("shop", "wide", e))
    subprocess.run(["ls", "-l", m.path("shop", "wide")], check=True, capture_output=True)
    assert len(entries) == 600  # t000.csv, t000.parquet, t000.sql, ...
    # Every definition, its exact size and every attribute come with the listing.
    for e in entries:
        path = m.path("shop", "wide", e)
        assert [os.getxattr(path, x) for x in os.listxattr(path)][:3] == \
            [b"table", b"0", b"a\tINTEGER\n"]
        if e.endswith(".sql"):
            with open(path) as f:
                assert f.read() == f"CREATE TABLE wide.{e[:-4]}(a INTEGER);\n"
            assert os.stat(path).st_size == len(f"CREATE TABLE wide.{e[:-4]}(a INTEGER);\n")
    assert s.handle.stats()["queries_total"] - before == 1



def fuse_requests(log):
    """How many of each FUSE request a `-o debug` log shows (libfuse writes
    "unique: N, opcode: NAME (n), nodeid: ..." as it receives one)."""
    return collections.Counter(re.findall(r"opcode: (\w+) \(", log))


def test_ls_l_sends_no_request_per_file(server, mount_factory):
    """Issue 13's warm `ls -l` of 10,000 tables (< 150 ms, bench/read
    --only-ls) counted instead of timed: the kernel keeps names and
    attributes for cache_timeout, filled by the listing (READDIRPLUS), so
    neither a first nor a second `ls -l` sends a request per file. With the
    kernel's name cache off (entry_timeout=0) each file cost 3 LOOKUPs."""
    n = 30
    server.psql("DROP SCHEMA IF EXISTS lsl CASCADE; CREATE SCHEMA lsl; " +
                "; ".join(f"CREATE TABLE lsl.t{i:02d} (a INTEGER)" for i in range(n)), dbname="shop")
    # FUSE's debug lines take every form: the fixture lets all lines through.
    m = mount_factory(server, opts=("debug", "cache_timeout=600"), allowed_stderr=("",))
    d = m.path("shop", "lsl")

    def ls_l():
        before = len(m.stderr())
        out = subprocess.run(["ls", "-l", d], check=True, capture_output=True, text=True).stdout
        assert sum(1 for ln in out.splitlines() if ln.endswith(".csv")) == n, out
        return fuse_requests(m.stderr()[before:])
    for run in ("cold", "warm"):
        counts = ls_l()
        per_file = {op: c for op, c in counts.items() if c >= n}
        assert not per_file, (run, counts)


def test_duckdb_read_csv_sees_the_whole_file(server, shop):
    """DuckDB trusts st_size: its second fstat of an open file gets the exact size."""
    m, base = shop
    path = os.path.join(base, "numbers.csv")
    assert duckdb_query(f"SELECT count(*), sum(n), max(label) FROM read_csv('{path}')") == \
        [["100000", "4999950000", "label 99999"]]
    rows = duckdb_query(f"SELECT id, s FROM read_csv('{os.path.join(base, 'every_type.csv')}') ORDER BY id")
    assert [int(r[0]) for r in rows] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert rows[0][1] == 'comma, "quote"' and rows[3][1] == "ünïcødé ✓ 日本 🦆"
    # Someone else's stat never waits for (or reports) another reader's stream.
    with open(path, "rb") as f:
        other = subprocess.run(["stat", "-c", "%s", path], capture_output=True, text=True, check=True)
        assert other.stdout.strip() == "0"
        size = os.fstat(f.fileno()).st_size  # open() asked first (test_mount_stream.py)
        assert size > 1_000_000
        other = subprocess.run(["stat", "-c", "%s", path], capture_output=True, text=True, check=True)
        assert other.stdout.strip() == "0"
        with open(path, "rb") as g:
            assert len(g.read()) == size
