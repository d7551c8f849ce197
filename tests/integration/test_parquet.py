"""Parquet export (mdclient/parquet_*.c) on both servers, checked with two independent readers:
DuckDB (tests/standin/duckdb_query.mjs: read_parquet, parquet_schema, parquet_metadata) and
hyparquet (tests/parquet-reader/read.mjs). The export runs through tests/c/parquet_cli, also in the
ASan build and under valgrind."""
import json
import shutil
import subprocess

import pytest

from conftest import build_path, duckdb_query as duck, hyparquet

SCHEMA = "pq_test"

# name, DuckDB type, PostgreSQL type, three rows of SQL literals (DuckDB, PostgreSQL when it differs),
# and what DuckDB's read_parquet gives back for them as VARCHAR (None = NULL).
COLUMNS = [
    ("b", "BOOLEAN", "boolean", ["true", "false", "NULL"], ["true", "false", None]),
    ("i2", "SMALLINT", "smallint", ["-32768", "32767", "NULL"], ["-32768", "32767", None]),
    ("i4", "INTEGER", "integer", ["-2147483648", "2147483647", "NULL"], ["-2147483648", "2147483647", None]),
    ("i8", "BIGINT", "bigint", ["-9223372036854775808", "9223372036854775807", "NULL"],
     ["-9223372036854775808", "9223372036854775807", None]),
    ("f", "FLOAT", "real", ["-3.5", "'inf'", "NULL"], ["-3.5", "inf", None]),
    ("d", "DOUBLE", "double precision", ["-1.5e308", "0.1", "NULL"], ["-1.5e+308", "0.1", None]),
    ("n1", "DECIMAL(9,2)", "numeric(9,2)", ["-9999999.99", "0.5", "NULL"], ["-9999999.99", "0.50", None]),
    ("n2", "DECIMAL(18,3)", "numeric(18,3)", ["-999999999999999.999", "1", "NULL"],
     ["-999999999999999.999", "1.000", None]),
    ("n3", "DECIMAL(38,10)", "numeric(38,10)", ["-9999999999999999999999999999.9999999999", "123.456", "NULL"],
     ["-9999999999999999999999999999.9999999999", "123.4560000000", None]),
    ("dt", "DATE", "date", ["'0001-01-01'", "'2024-02-29'", "NULL"], ["0001-01-01", "2024-02-29", None]),
    ("tm", "TIME", "time", ["'00:00:00'", "'23:59:59.999999'", "NULL"], ["00:00:00", "23:59:59.999999", None]),
    ("ts", "TIMESTAMP", "timestamp", ["'1970-01-01 00:00:00'", "'2024-02-29 12:34:56.789012'", "NULL"],
     ["1970-01-01 00:00:00", "2024-02-29 12:34:56.789012", None]),
    ("tz", "TIMESTAMPTZ", "timestamptz", ["'2000-01-01 00:00:00+00'", "'2024-06-30 23:59:59.999999+02'", "NULL"],
     ["2000-01-01 00:00:00+00", "2024-06-30 21:59:59.999999+00", None]),
    ("u", "UUID", "uuid", ["'00000000-0000-0000-0000-000000000000'", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "NULL"],
     ["00000000-0000-0000-0000-000000000000", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", None]),
    ("bl", "BLOB", "bytea", [("'\\x00\\xFF\\x5C'::BLOB", "'\\x00ff5c'::bytea"), "''", "NULL"],
     ["\\x00\\xFF\\x5C", "", None]),
    ("s", "VARCHAR", "text", ["''", "'héllo, \"wörld\" 🦆\n'", "NULL"], ["", "héllo, \"wörld\" 🦆\n", None]),
    ("l", "INTEGER[]", "integer[]", [("[1, NULL, 3]", "ARRAY[1,NULL,3]"), ("[]", "'{}'::integer[]"), "NULL"],
     ["[1,null,3]", "[]", None]),
]
DUCK_ONLY = [
    ("i1", "TINYINT", ["-128", "127", "NULL"], ["-128", "127", None]),
    ("u1", "UTINYINT", ["0", "255", "NULL"], ["0", "255", None]),
    ("u4", "UINTEGER", ["0", "4294967295", "NULL"], ["0", "4294967295", None]),
    ("u8", "UBIGINT", ["0", "18446744073709551615", "NULL"], ["0", "18446744073709551615", None]),
    ("hi", "HUGEINT", ["-170141183460469231731687303715884105727", "170141183460469231731687303715884105727", "NULL"],
     ["-170141183460469231731687303715884105727", "170141183460469231731687303715884105727", None]),
    ("st", "STRUCT(a INTEGER, b VARCHAR)", ["{'a': 1, 'b': 'x y'}", "{'a': NULL, 'b': NULL}", "NULL"],
     ['{"a":1,"b":"x y"}', '{"a":null,"b":null}', None]),
]
PG_ONLY = [
    ("num", "numeric", ["-1.5", "'NaN'", "NULL"], ["-1.5", "NaN", None]),
    ("vc", "character varying(10)", ["'abc'", "''", "NULL"], ["abc", "", None]),
]

# parquet_schema: name → (physical type, logical type prefix) for a few telling columns
SCHEMA_EXPECT = {
    "i2": ("INT32", "IntType(bitWidth=\x10, isSigned=1"), "n1": ("INT32", "DecimalType(scale=2, precision=9)"),
    "n2": ("INT64", "DecimalType(scale=3, precision=18)"),
    "n3": ("FIXED_LEN_BYTE_ARRAY", "DecimalType(scale=10, precision=38)"),
    "dt": ("INT32", "DateType"), "tm": ("INT64", "TimeType(isAdjustedToUTC=0"),
    "ts": ("INT64", "TimestampType(isAdjustedToUTC=0"), "tz": ("INT64", "TimestampType(isAdjustedToUTC=1"),
    "u": ("FIXED_LEN_BYTE_ARRAY", "UUIDType"), "s": ("BYTE_ARRAY", "StringType"), "bl": ("BYTE_ARRAY", None),
    "u8": ("INT64", "IntType(bitWidth=@, isSigned=0"), "hi": ("FIXED_LEN_BYTE_ARRAY", "DecimalType(scale=0, precision=38)"),
}


def columns_for(engine):
    cols = []
    for name, dt, pt, lits, exp in COLUMNS:
        lits = [l[0 if engine == "duckdb" else 1] if isinstance(l, tuple) else l for l in lits]
        cols.append((name, dt if engine == "duckdb" else pt, lits, exp))
    extra = DUCK_ONLY if engine == "duckdb" else PG_ONLY
    cols += [(n, t, l, e) for n, t, l, e in extra]
    return cols


def qualified(server, rel):
    return f"shop.{SCHEMA}.{rel}" if server.engine == "duckdb" else f"{SCHEMA}.{rel}"




def export(server, rel, out, *opts, asan=False, valgrind=False, check=True):
    argv = [build_path("tests", "c", "parquet_cli", asan=asan), "shop", SCHEMA, rel, str(out), *map(str, opts)]
    if valgrind:
        argv = [shutil.which("valgrind"), "-q", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
                "--show-leak-kinds=definite,indirect", "--error-exitcode=97", *argv]
    env = server.valgrind_env() if valgrind else server.env()
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=1200)
    if check:
        assert r.returncode == 0, f"parquet_cli failed:\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture
def tables(server):
    """(Re)create pq_test.types, pq_test.empty and pq_test.big on the server."""
    if server.engine == "duckdb":
        server.psql(f"CREATE SCHEMA IF NOT EXISTS shop.{SCHEMA}")
    else:
        server.psql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}", dbname="shop")
    cols = columns_for(server.engine)
    defs = ", ".join(f"{n} {t}" for n, t, _, _ in cols)
    rows = ", ".join("(" + ", ".join([str(i + 1)] + [c[2][i] for c in cols]) + ")" for i in range(3))
    sql = (f"DROP TABLE IF EXISTS {qualified(server, 'types')}; "
           f"CREATE TABLE {qualified(server, 'types')} (id INTEGER, {defs}); "
           f"INSERT INTO {qualified(server, 'types')} VALUES {rows}; "
           f"DROP TABLE IF EXISTS {qualified(server, 'empty')}; "
           f"CREATE TABLE {qualified(server, 'empty')} (a INTEGER, b TEXT); "
           f"DROP TABLE IF EXISTS {qualified(server, 'big')}; ")
    if server.engine == "duckdb":
        sql += (f"CREATE TABLE {qualified(server, 'big')} AS SELECT i AS id, i % 1000 AS k, "
                f"'name-' || (i % 5000) AS name, i * 0.5 AS x, "
                f"TIMESTAMP '2024-01-01' + to_seconds(i) AS t FROM range(1000000) r(i)")
    else:
        sql += (f"CREATE TABLE {qualified(server, 'big')} AS SELECT i::bigint AS id, i % 1000 AS k, "
                f"'name-' || (i % 5000) AS name, (i * 0.5)::numeric(12,1) AS x, "
                f"TIMESTAMP '2024-01-01' + i * INTERVAL '1 second' AS t FROM generate_series(0, 999999) i")
    server.psql(sql, dbname="shop")
    return cols


def check_types_file(path, cols):
    # DuckDB reads every value back as the server held it
    sel = ", ".join(f"CAST({n} AS VARCHAR)" if n not in ("st", "l") else n for n, *_ in cols)
    got = duck(f"SELECT id, {sel} FROM read_parquet('{path}') ORDER BY id")
    assert [r[0] for r in got] == [1, 2, 3]
    for ci, (name, typ, _, exp) in enumerate(cols):
        vals = [r[ci + 1] for r in got]
        if name in ("st", "l"):  # JSON text: compare as JSON
            vals = [None if v is None else json.loads(v) for v in vals]
            exp = [None if v is None else json.loads(v) for v in exp]
        assert vals == exp, f"column {name} ({typ}): {vals} != {exp}"
    schema = {r[0]: r for r in duck(f"SELECT name, type, logical_type FROM parquet_schema('{path}')")}
    for name, (phys, logical) in SCHEMA_EXPECT.items():
        if name not in schema:
            continue
        assert schema[name][1] == phys, (name, schema[name])
        if logical is None:
            assert schema[name][2] is None, (name, schema[name])
        else:
            assert schema[name][2] and schema[name][2].startswith(logical), (name, schema[name])
    # hyparquet: an independent reader agrees on rows, NULLs and exact values
    h = hyparquet(path)
    assert h["num_rows"] == 3
    assert h["created_by"].startswith("mdfs version ")
    rows = sorted(h["rows"], key=lambda r: r[0])
    idx = {c: i for i, c in enumerate(h["columns"])}
    for name, _, _, exp in cols:
        assert [r[idx[name]] is None for r in rows] == [e is None for e in exp], name
    assert [r[idx["s"]] for r in rows] == ["", "héllo, \"wörld\" 🦆\n", None]
    assert [r[idx["i8"]] for r in rows] == ["-9223372036854775808", "9223372036854775807", None]
    assert [r[idx["u"]] for r in rows] == ["00000000-0000-0000-0000-000000000000",
                                           "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", None]
    assert [r[idx["bl"]] for r in rows] == ["\\x00ff5c", "\\x", None]
    assert [r[idx["b"]] for r in rows] == [True, False, None]
    assert [r[idx["ts"]] for r in rows] == ["1970-01-01T00:00:00.000Z", "2024-02-29T12:34:56.789Z", None]


@pytest.mark.parametrize("codec", ["zstd", "snappy", "none"])
def test_types(server, tables, tmp_path, codec):
    out = tmp_path / "types.parquet"
    r = export(server, "types", out, codec)
    assert "bytes" in r.stdout
    check_types_file(out, tables)
    meta = duck(f"SELECT path_in_schema, compression, stats_min_value, stats_max_value, stats_null_count "
                f"FROM parquet_metadata('{out}')")
    m = {r[0]: r for r in meta}
    assert {r[1] for r in meta} == {"zstd": {"ZSTD"}, "snappy": {"SNAPPY"}, "none": {"UNCOMPRESSED"}}[codec]
    assert m["i4"][2:] == ["-2147483648", "2147483647", "1"]
    assert m["s"][2:] == ["", "héllo, \"wörld\" 🦆\n", "1"]
    assert m["n1"][2:] == ["-9999999.99", "0.50", "1"]
    if server.engine == "duckdb":
        assert m["u8"][2:] == ["0", "18446744073709551615", "1"]


def test_types_asan_valgrind(server, tables, tmp_path):
    export(server, "types", tmp_path / "a.parquet", asan=True)
    check_types_file(tmp_path / "a.parquet", tables)
    export(server, "types", tmp_path / "v.parquet", valgrind=True)
    check_types_file(tmp_path / "v.parquet", tables)


def test_empty_and_missing(server, tables, tmp_path):
    out = tmp_path / "empty.parquet"
    export(server, "empty", out)
    assert duck(f"SELECT count(*) FROM read_parquet('{out}')") == [["0"]] or \
        duck(f"SELECT count(*) FROM read_parquet('{out}')") == [[0]]
    assert [r[0] for r in duck(f"SELECT name FROM parquet_schema('{out}')")] == ["duckdb_schema", "a", "b"] or \
        [r[0] for r in duck(f"SELECT name FROM parquet_schema('{out}')")][1:] == ["a", "b"]
    assert hyparquet(str(out))["num_rows"] == 0
    r = export(server, "no_such_table", tmp_path / "x.parquet", check=False)
    assert r.returncode == 1 and r.stdout.startswith("ERROR 2 "), r.stdout


def test_big_row_groups(server, tables, tmp_path):
    out = tmp_path / "big.parquet"
    r = export(server, "big", out, "zstd", 4 << 20)
    assert "conn_ok 1" in r.stdout
    groups = duck(f"SELECT count(DISTINCT row_group_id), sum(DISTINCT row_group_num_rows) "
                  f"FROM parquet_metadata('{out}')")
    assert int(groups[0][0]) >= 3, groups
    agg = duck(f"SELECT count(*), sum(id), count(DISTINCT name), sum(k), max(t)::VARCHAR, sum(x) "
               f"FROM read_parquet('{out}')")
    assert [str(v) for v in agg[0][:5]] == ["1000000", "499999500000", "5000", "499500000",
                                            "2024-01-12 13:46:39"]
    assert float(agg[0][5]) == 249999750000.0
    enc = duck(f"SELECT DISTINCT encodings FROM parquet_metadata('{out}') WHERE path_in_schema = 'k'")
    assert all("RLE_DICTIONARY" in e[0] for e in enc), enc
    h = hyparquet(str(out), 1000)
    assert h["num_rows"] == 1000000
    assert [r[0] for r in h["rows"]][:3] == ["0", "1", "2"] or [r[0] for r in h["rows"]][:3] == [0, 1, 2]
