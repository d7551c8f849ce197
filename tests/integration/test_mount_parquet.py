"""<table>.parquet through a real mount, on both servers: read by DuckDB and
by hyparquet straight from the mount, exact size once produced, reuse within
cache_timeout, the formats and codec options, and a failed production that
never reaches a reader."""
import errno
import os
import subprocess
import threading

import pytest

from conftest import duckdb_query as duck, hyparquet
from test_mount_read import setup_schema




@pytest.fixture
def shop(server, mount_factory):
    setup_schema(server)
    m = mount_factory(server)
    return m, m.path("shop", "mt")


def test_parquet_beside_csv_and_read_from_the_mount(server, shop):
    m, base = shop
    assert sorted(os.listdir(base)) == ["every_type.csv", "every_type.parquet", "every_type.sql",
                                        "numbers.csv", "numbers.parquet", "numbers.sql"]
    path = os.path.join(base, "numbers.parquet")
    assert os.stat(path).st_size == 0  # not produced yet
    assert duck(f"SELECT count(*), sum(n), min(label), max(label) FROM read_parquet('{path}')") == \
        [["100000", "4999950000", "label 0", "label 99999"]]
    data = open(path, "rb").read()
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"
    assert os.stat(path).st_size == len(data)  # the real size once it exists
    h = hyparquet(path)
    assert h["num_rows"] == 100000 and h["columns"] == ["n", "label"]
    assert h["created_by"].startswith("mdfs version")
    # Types are logical types, not strings.
    schema = {r[0]: r[1:] for r in duck(
        f"SELECT name, type, logical_type FROM parquet_schema('{os.path.join(base, 'every_type.parquet')}')")}
    assert schema["b"][0] == "BOOLEAN"
    assert schema["d"][0] == "INT32" and "Date" in str(schema["d"][1])
    assert schema["u"][0] == "FIXED_LEN_BYTE_ARRAY"
    rows = duck(f"SELECT id, s, b, CAST(ts AS VARCHAR) FROM read_parquet('{os.path.join(base, 'every_type.parquet')}') "
                "ORDER BY id")
    assert rows[0] == [1, 'comma, "quote"', True, "2024-01-02 03:04:05.123456"]
    assert rows[2][1] == "" and rows[5][1] is None
    assert rows[3][1] == "ünïcødé ✓ 日本 🦆"
    meta = duck(f"SELECT DISTINCT compression FROM parquet_metadata('{path}')")
    assert meta == [["ZSTD"]]
    stats = duck(f"SELECT stats_min_value, stats_max_value, stats_null_count FROM parquet_metadata('{path}') "
                 "WHERE path_in_schema = 'n'")
    assert stats[0] == ["0", "99999", "0"]


def test_produced_file_is_reused(own_standin, mount_factory):
    s = own_standin
    s.psql("CREATE OR REPLACE TABLE main.reuse AS SELECT range AS n FROM range(1000)")
    m = mount_factory(s, opts=("cache_timeout=60",))
    path = m.path("shop", "main", "reuse.parquet")
    first = open(path, "rb").read()
    before = s.handle.stats()["queries_total"]
    assert open(path, "rb").read() == first
    assert s.handle.stats()["queries_total"] == before


def test_formats_and_codec_options(own_standin, mount_factory):
    s = own_standin
    s.psql("CREATE OR REPLACE TABLE main.fmt AS SELECT range AS n FROM range(10)")
    only_csv = mount_factory(s, opts=("formats=csv",))
    assert os.listdir(only_csv.path("shop", "main")) == ["fmt.csv"]
    only_pq = mount_factory(s, opts=("formats=parquet", "parquet_codec=snappy"))
    assert os.listdir(only_pq.path("shop", "main")) == ["fmt.parquet"]
    path = only_pq.path("shop", "main", "fmt.parquet")
    assert duck(f"SELECT DISTINCT compression FROM parquet_metadata('{path}')") == [["SNAPPY"]]
    both = mount_factory(s, opts=("formats=csv,parquet",))
    assert sorted(os.listdir(both.path("shop", "main"))) == ["fmt.csv", "fmt.parquet"]
    only_sql = mount_factory(s, opts=("formats=sql",))
    assert os.listdir(only_sql.path("shop", "main")) == ["fmt.sql"]
    default = mount_factory(s)
    assert sorted(os.listdir(default.path("shop", "main"))) == ["fmt.csv", "fmt.parquet", "fmt.sql"]


def test_failed_production_never_reaches_a_reader(own_standin, mount_factory):
    s = own_standin
    s.psql("CREATE OR REPLACE TABLE main.cut AS SELECT range AS n, 'x' || range AS t FROM range(200000)")
    m = mount_factory(s, allowed_stderr=("parquet", "connection", "server closed", "EOF", "SSL"))
    path = m.path("shop", "main", "cut.parquet")
    s.handle.control(close_after_rows=50000)
    with pytest.raises(OSError) as e:
        open(path, "rb")
    assert e.value.errno == errno.EIO
    assert os.stat(path).st_size == 0
    s.handle.control(close_after_rows=None)
    assert duck(f"SELECT count(*) FROM read_parquet('{path}')") == [["200000"]]


def rows_of(path):
    return duck(f"SELECT count(*), CAST(max(n) AS VARCHAR) FROM read_parquet('{path}')")


def test_load_and_drop_through_the_mount_invalidate_the_produced_file(server, mount_factory, tmp_path):
    """Issue 10: a produced file is reused within cache_timeout, but not after
    the mount itself changed the table: a load (cp t.csv) and a drop
    (rm t.csv) make the next open produce the new data. A view over the
    table (DuckDB keeps views across a load) is produced anew too."""
    server.psql("DROP SCHEMA IF EXISTS pqload CASCADE; CREATE SCHEMA pqload; "
                "CREATE TABLE pqload.t (n integer); "
                "INSERT INTO pqload.t VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9); "
                "CREATE VIEW pqload.v AS SELECT n FROM pqload.t", dbname="shop")
    m = mount_factory(server, opts=("cache_timeout=300", "allow_drop"),
                      allowed_stderr=("loaded ",))
    d = m.path("shop", "pqload")
    (tmp_path / "b.csv").write_text("n\n" + "".join(f"{i}\n" for i in range(25)))
    pq = os.path.join(d, "t.parquet")
    assert rows_of(pq) == [["10", "9"]]
    if server.engine == "duckdb":
        assert rows_of(os.path.join(d, "v.parquet")) == [["10", "9"]]

    subprocess.run(["cp", str(tmp_path / "b.csv"), os.path.join(d, "t.csv")], check=True)
    assert rows_of(pq) == [["25", "24"]]
    if server.engine == "duckdb":
        assert rows_of(os.path.join(d, "v.parquet")) == [["25", "24"]]

    os.unlink(os.path.join(d, "t.csv"))
    server.psql("CREATE TABLE pqload.t AS SELECT 7 AS n", dbname="shop")
    assert rows_of(pq) == [["1", "7"]]


def test_waiters_on_a_failing_production_share_its_failure(server, mount_factory):
    """Issue 10: opens that wait for one production that fails all get its
    error at once; they never redo it one after another. The production is
    slow (PostgreSQL: pg_sleep; the stand-in: a delay before each batch), so
    every open arrives while it runs; productions are counted on the server
    (PostgreSQL: a sequence the view advances once per run; the stand-in:
    its query counter)."""
    pg = server.engine == "postgres"
    if pg:
        server.psql("DROP SCHEMA IF EXISTS pqfail CASCADE; CREATE SCHEMA pqfail; "
                    "CREATE SEQUENCE pqfail.runs; "
                    "CREATE VIEW pqfail.v AS SELECT n, (SELECT nextval('pqfail.runs') FROM pg_sleep(2)) AS r, "
                    "1 / (n - 500) AS boom FROM generate_series(1, 1000) n", dbname="shop")
    else:
        server.psql("DROP SCHEMA IF EXISTS pqfail CASCADE; CREATE SCHEMA pqfail; "
                    "CREATE VIEW pqfail.v AS SELECT range AS n, "
                    "CASE WHEN range = 500 THEN error('boom') END AS boom FROM range(1000)", dbname="shop")
    m = mount_factory(server, allowed_stderr=("parquet", "boom", "division by zero", "ERROR"))
    path = m.path("shop", "pqfail", "v.parquet")
    assert os.stat(path).st_size == 0  # the listing is cached: no query below but productions

    def productions():
        if pg:
            r = server.psql("SELECT last_value, is_called FROM pqfail.runs", dbname="shop",
                            args=("-A", "-t", "-F", " ")).stdout.split()
            return int(r[0]) if r[1] == "t" else 0
        return server.handle.stats()["queries_total"]

    def open_all(n):
        barrier = threading.Barrier(n)
        errs = []

        def one():
            barrier.wait()
            try:
                open(path, "rb").close()
                errs.append(0)
            except OSError as e:
                errs.append(e.errno)
        threads = [threading.Thread(target=one) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        return errs

    if not pg:
        server.handle.control(batch_delay_ms=2000)
    try:
        before = productions()
        assert open_all(1) == [errno.EIO]
        one = productions() - before
        assert one >= 1
        before = productions()
        assert open_all(4) == [errno.EIO] * 4
        assert productions() - before == one
    finally:
        if not pg:
            server.handle.control(batch_delay_ms=0)
