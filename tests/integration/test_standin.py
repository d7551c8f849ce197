"""The test bed itself: the MotherDuck stand-in behaves as the endpoint is
documented to (../shared/docs/motherduck-endpoint.md), seen by real clients:
psql and a raw libpq program (tests/c/pqtool.c). The PostgreSQL half gets the
same client-level checks where they apply."""
import os
import subprocess
import threading
import time


from conftest import build_path


def pqtool(server, sql, *opts, dbname=None, token=None, timeout=120):
    env = dict(os.environ, PGPASSWORD=server.token if token is None else token)
    r = subprocess.run([build_path("tests", "c", "pqtool"), *opts, server.dsn(dbname), sql],
                       env=env, capture_output=True, text=True, timeout=timeout)
    return r


def rows_of(r):
    assert r.returncode == 0, r.stdout + r.stderr
    return int(r.stdout.strip().splitlines()[-1].split()[1])


def test_psql_lists_workspace_tables(md):
    md.psql("CREATE OR REPLACE TABLE main.sb_customers AS SELECT range AS id FROM range(5)", dbname="shop")
    md.psql("CREATE OR REPLACE TABLE main.sb_daily AS SELECT 1 AS x", dbname="analytics")
    r = md.psql("SELECT database_name || '.' || schema_name || '.' || table_name FROM duckdb_tables() "
                "WHERE table_name LIKE 'sb_%' ORDER BY 1", args=("-A", "-t"))
    assert r.stdout.split() == ["analytics.main.sb_daily", "shop.main.sb_customers"]
    # dbname=md: means the default database (shop); dbname=analytics makes that one current.
    assert md.psql("SELECT current_database()", args=("-A", "-t")).stdout.strip() == "shop"
    assert md.psql("SELECT current_database()", dbname="analytics",
                   args=("-A", "-t")).stdout.strip() == "analytics"


def test_wrong_token_is_refused_with_28P01(server):
    r = pqtool(server, "SELECT 1", token="not-the-token")
    assert r.returncode == 1
    assert "password authentication failed" in r.stdout
    r = server.psql("SELECT 1", check=False, token="not-the-token")
    assert r.returncode != 0 and "password authentication failed" in r.stderr


def test_tls_is_verified_against_the_test_ca(server, tmp_path):
    # verify-full with the right CA works; with another CA it fails.
    assert rows_of(pqtool(server, "SELECT 1")) == 1
    other = tmp_path / "other-ca.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", str(tmp_path / "k"), "-subj", "/CN=other", "-out", str(other)],
                   check=True, capture_output=True)
    bad = server.dsn().replace(server.ca, str(other))
    r = subprocess.run([build_path("tests", "c", "pqtool"), bad, "SELECT 1"],
                       env=dict(os.environ, PGPASSWORD=server.token), capture_output=True, text=True)
    assert r.returncode == 1 and "certificate verify failed" in r.stdout


def test_unknown_database_is_refused(md):
    r = pqtool(md, "SELECT 1", dbname="no_such_db")
    assert r.returncode == 1 and "does not exist" in r.stdout


def test_several_statements_in_one_query_and_error_recovery(md):
    r = md.psql("CREATE OR REPLACE TABLE main.sb_multi (a INTEGER); INSERT INTO main.sb_multi VALUES (1),(2);"
                " SELECT sum(a) FROM main.sb_multi", dbname="shop", args=("-A", "-t"))
    assert r.stdout.strip() == "3"
    # An error reports its SQLSTATE; the session goes on to the next query.
    r = pqtool(md, "SELECT * FROM main.no_such_table", dbname="shop")
    assert r.returncode == 1 and "ERROR 42P01" in r.stdout
    r = md.psql("SELECT * FROM nope; ", dbname="shop", check=False)
    assert r.returncode != 0
    assert md.psql("SELECT 7", args=("-A", "-t")).stdout.strip() == "7"


def test_transactions_commit_and_rollback(md):
    md.psql("CREATE OR REPLACE TABLE main.sb_tx (a INTEGER)", dbname="shop")
    md.psql("BEGIN; INSERT INTO main.sb_tx VALUES (1); ROLLBACK;", dbname="shop")
    md.psql("BEGIN; INSERT INTO main.sb_tx VALUES (2); COMMIT;", dbname="shop")
    # An error inside a transaction aborts it; nothing of it is kept.
    r = md.psql("BEGIN; INSERT INTO main.sb_tx VALUES (3); SELECT 1/0::INTEGER + nope; COMMIT;",
                dbname="shop", check=False)
    assert r.returncode != 0
    assert md.psql("SELECT string_agg(a::VARCHAR, ',' ORDER BY a) FROM main.sb_tx", dbname="shop",
                   args=("-A", "-t")).stdout.strip() == "2"


def test_extended_protocol_with_parameters(server):
    server.psql("CREATE TABLE IF NOT EXISTS sb_params (id INTEGER, name VARCHAR)", dbname="shop")
    server.psql("DELETE FROM sb_params; INSERT INTO sb_params VALUES (1, 'one'), (2, 'two'), (3, 'three')",
                dbname="shop")
    r = pqtool(server, "SELECT name FROM sb_params WHERE id = $1", "-p", "3", "-v", dbname="shop")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == ["three", "rows 1"]
    # Named statement: Parse, Describe (parameters and columns), then Bind/Execute.
    r = pqtool(server, "SELECT id, name FROM sb_params WHERE id >= $1 ORDER BY id", "-P", "-p", "2",
               "-d", "-v", dbname="shop")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "params 1"
    assert lines[1].startswith("col id 23 ") and lines[2].startswith("col name 1043 ")
    assert lines[3:] == ["2\ttwo", "3\tthree", "rows 2"]
    # An error in the extended protocol is reported and the connection recovers.
    r = pqtool(server, "SELECT nope FROM sb_params WHERE id = $1", "-p", "1", dbname="shop")
    assert r.returncode == 1 and "ERROR 42" in r.stdout


TYPE_OIDS = [
    ("true", 16), ("1::SMALLINT", 21), ("1::INTEGER", 23), ("1::BIGINT", 20), ("1::REAL", 700),
    ("1::DOUBLE", 701), ("1.5::DECIMAL(10,2)", 1700), ("'x'::VARCHAR", 1043), ("DATE '2024-01-02'", 1082),
    ("TIME '01:02:03'", 1083), ("TIMESTAMP '2024-01-02 03:04:05'", 1114),
    ("TIMESTAMPTZ '2024-01-02 03:04:05+00'", 1184), ("INTERVAL 3 DAY", 1186),
    ("'0b2e4c2c-6b2f-4a48-9f8b-2d4f6b8e9a01'::UUID", 2950), ("'\\xAA'::BLOB", 17),
    ("170141183460469231731687303715884105727::HUGEINT", 25), ("[1, 2]", 25),
    ("{'a': 1}", 25), ("1::UTINYINT", 25),
]


def test_type_oids_and_text_values(md):
    sql = "SELECT " + ", ".join(f"{expr} AS c{i}" for i, (expr, _) in enumerate(TYPE_OIDS))
    r = pqtool(md, sql, "-d", "-v")
    assert r.returncode == 0, r.stdout + r.stderr
    cols = [ln.split() for ln in r.stdout.splitlines() if ln.startswith("col ")]
    assert [int(c[2]) for c in cols] == [oid for _, oid in TYPE_OIDS]
    values = r.stdout.splitlines()[len(cols)].split("\t")
    assert values[0] == "true"
    assert values[11] == "2024-01-02 03:04:05+00"
    assert values[12] == "3 days"
    assert values[15] == "170141183460469231731687303715884105727"
    assert values[16] == "[1, 2]"
    assert values[17] == "{'a': 1}"


def test_ten_million_rows_stream_in_bounded_memory(md):
    """A slow single-row-mode reader of 10M rows: the stand-in streams with
    backpressure, so its memory stays far below the result's size."""
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                with open(f"/proc/{md.handle.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            peak[0] = max(peak[0], int(line.split()[1]) * 1024)
            except FileNotFoundError:
                return
            done.wait(0.1)

    t = threading.Thread(target=sample)
    t.start()
    try:
        r = pqtool(md, "SELECT range AS id, 'row ' || range::VARCHAR AS label FROM range(10000000)",
                   "-s", timeout=600)
    finally:
        done.set()
        t.join()
    assert rows_of(r) == 10_000_000
    assert 0 < peak[0] < 300 * 1024 * 1024, f"stand-in peak RSS {peak[0] / 2**20:.0f} MB"


def test_cancel_stops_a_long_query(server):
    long_query = ("SELECT count(*) FROM range(100000000000) WHERE hash(range) = 0"
                  if server.engine == "duckdb"
                  else "SELECT count(*) FROM generate_series(1, 2000000000)")
    started = time.monotonic()
    r = pqtool(server, long_query, "-c", "500", timeout=60)
    elapsed = time.monotonic() - started
    assert r.returncode == 1 and "ERROR 57014" in r.stdout, r.stdout + r.stderr
    assert elapsed < 10
    if server.engine == "duckdb":
        assert server.handle.stats()["active_queries"] == 0


def test_statement_timeout(server):
    long_query = ("SELECT count(*) FROM range(100000000000) WHERE hash(range) = 0"
                  if server.engine == "duckdb"
                  else "SELECT count(*) FROM generate_series(1, 2000000000)")
    r = server.psql(f"SET statement_timeout = 300; {long_query}", check=False)
    assert r.returncode != 0 and "statement timeout" in r.stderr


def test_copy_switch(own_standin):
    s = own_standin
    r = s.psql("\\copy (SELECT 1 AS a, 'x,y' AS b) TO STDOUT WITH (FORMAT csv, HEADER)", check=False)
    assert r.returncode != 0 and "not supported" in r.stderr
    assert s.handle.control(copy=True)["copy"] is True
    r = s.psql("\\copy (SELECT 1 AS a, 'x,y' AS b) TO STDOUT WITH (FORMAT csv, HEADER)")
    assert r.stdout == 'a,b\n1,"x,y"\n'
    s.psql("CREATE TABLE main.sb_copyin (a INTEGER, b VARCHAR)")
    r = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", s.dsn(),
                        "-c", "\\copy main.sb_copyin FROM STDIN WITH (FORMAT csv)"],
                       input="1,one\n2,\"t,wo\"\n", env=dict(os.environ, PGPASSWORD=s.token),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert s.psql("SELECT string_agg(b, '|' ORDER BY a) FROM main.sb_copyin",
                  args=("-A", "-t")).stdout.strip() == "one|t,wo"


def test_fault_close_after_rows(own_standin):
    s = own_standin
    s.handle.control(close_after_rows=1000)
    r = pqtool(s, "SELECT range FROM range(100000)", "-s")
    assert r.returncode == 1 and "ERROR" in r.stdout
    s.handle.control(close_after_rows=None)
    assert rows_of(pqtool(s, "SELECT range FROM range(100000)", "-s")) == 100000


def test_fault_batch_delay_and_refuse(own_standin):
    s = own_standin
    s.handle.control(batch_delay_ms=300)
    started = time.monotonic()
    assert rows_of(pqtool(s, "SELECT range FROM range(10)", "-s")) == 10
    assert time.monotonic() - started >= 0.3
    s.handle.control(batch_delay_ms=0, refuse_connections=True)
    r = pqtool(s, "SELECT 1")
    assert r.returncode == 1
    s.handle.control(refuse_connections=False)
    assert rows_of(pqtool(s, "SELECT 1")) == 1


def test_postgres_is_a_real_postgres(pg):
    r = pg.psql("SELECT current_setting('ssl'), current_setting('password_encryption')", args=("-A", "-t"))
    assert r.stdout.strip() == "on|scram-sha-256"
    # The dialect probe mdclient uses fails on PostgreSQL with 42883.
    r = pqtool(pg, "SELECT 1 FROM duckdb_databases() LIMIT 1")
    assert r.returncode == 1 and "ERROR 42883" in r.stdout
