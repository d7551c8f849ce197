"""<table>.parquet through a real mount, on both servers: read by DuckDB and
by hyparquet straight from the mount, exact size once produced, reuse within
cache_timeout, the formats and codec options, and a failed production that
never reaches a reader."""
import errno
import os

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
