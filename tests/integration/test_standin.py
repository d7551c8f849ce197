"""The test bed itself: the MotherDuck stand-in behaves as the endpoint is
documented to (../shared/docs/motherduck-endpoint.md), seen by real clients:
psql and a raw libpq program (tests/c/pqtool.c). The PostgreSQL half gets the
same client-level checks where they apply. Each endpoint switch (profiles) is
checked on a private stand-in, flipped through the control port."""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

import testbed as tb
from conftest import REPO, build_path, default_profile_only


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


@default_profile_only()
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


@default_profile_only("md")
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


@default_profile_only("md")
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


@default_profile_only()
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


@default_profile_only()
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
    # `copy` is the old spelling of copy_mode off/allowed.
    assert s.handle.control(copy=False)["copy_mode"] == "off"
    assert s.handle.control(copy_mode="allowed")["copy"] is True


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


# ---------------------------------------------------------------------------------------------
# Endpoint switches and profiles (tests/standin/README.md). Each is flipped on a private
# stand-in through the control port; pqtool -t runs statements on one connection and prints
# the transaction status after each.

def script(server, *sqls, token=None):
    """Run sqls in turn on one connection: [(outcome line, tx status)]."""
    r = subprocess.run([build_path("tests", "c", "pqtool"), "-t", server.dsn("shop"), *sqls],
                       env=dict(os.environ, PGPASSWORD=server.token if token is None else token),
                       capture_output=True, text=True, timeout=120)
    lines = r.stdout.splitlines()
    assert len(lines) == 2 * len(sqls), r.stdout + r.stderr
    return [(lines[i], lines[i + 1][3:]) for i in range(0, len(lines), 2)]


def test_hostile_profile_and_explicit_flags(standin_factory):
    s = standin_factory("hostile", extra_args=["--max-connections", "5"])
    cfg = s.handle.config()
    assert cfg["profile"] == "hostile"
    assert {k: cfg[k] for k in ("copy_mode", "cancel", "bool_format", "refuse_set", "session_timezone",
                                "idle_close_s", "max_connections", "unnamed_statements_only",
                                "server_version", "refuse_read_only", "type_oids")} == {
        "copy_mode": "refused-before", "cancel": "ignore", "bool_format": "tf",
        "refuse_set": ["TimeZone", "DateStyle", "statement_timeout"],
        "session_timezone": "Asia/Kolkata", "idle_close_s": 3,
        "max_connections": 5,  # the explicit flag wins over the profile
        "unnamed_statements_only": True, "server_version": "v1.5.6 MotherDuck",
        "refuse_read_only": True, "type_oids": "unknown"}
    # The tests' own psql logs in with the admin token and works under the profile.
    assert s.psql("SELECT 40 + 2", args=("-A", "-t")).stdout.strip() == "42"
    # Bad values are refused as a whole; a profile can be applied at run time.
    with pytest.raises(Exception):
        s.handle.control(cancel="sometimes")
    assert s.handle.config()["cancel"] == "ignore"
    assert s.handle.control(profile="default")["copy_mode"] == "off"
    assert s.handle.config()["type_oids"] == "twins"


def test_testbed_cli_starts_a_profile(tmp_path):
    bed = tmp_path / "bed"
    cli = [sys.executable, os.path.join(REPO, "tests", "harness", "testbed.py")]
    r = subprocess.run([*cli, "start", str(bed), "--no-pg", "--profile", "hostile"],
                       capture_output=True, text=True, timeout=120)
    try:
        assert r.returncode == 0, r.stderr
        env = dict(line[len("export "):].split("=", 1) for line in open(bed / "env.sh").read().splitlines())
        env = {k: v.strip("'") for k, v in env.items()}
        assert env["MDFS_TEST_MD_PROFILE"] == "hostile"
        assert env["MDFS_TEST_ADMIN_TOKEN"] and env["MDFS_TEST_ADMIN_TOKEN"] != env["MDFS_TEST_TOKEN"]
        with urllib.request.urlopen(env["MDFS_TEST_MD_CONTROL"] + "/config", timeout=10) as f:
            assert json.load(f)["profile"] == "hostile"
        r = subprocess.run(["psql", "-X", "-A", "-t", "-d", env["MDFS_TEST_MD_SOURCE"], "-c", "SELECT 1"],
                           env=dict(os.environ, PGPASSWORD=env["MDFS_TEST_ADMIN_TOKEN"]),
                           capture_output=True, text=True, timeout=60)
        assert r.stdout.strip() == "1", r.stderr
    finally:
        subprocess.run([*cli, "stop", str(bed)], capture_output=True, timeout=120)


def test_copy_refused_before_keeps_the_transaction(own_standin):
    s = own_standin
    s.psql("CREATE TABLE main.sb_cb (a INTEGER)", dbname="shop")
    s.handle.control(copy_mode="refused-before")
    out = script(s, "BEGIN", "INSERT INTO main.sb_cb VALUES (1)", "COPY main.sb_cb FROM STDIN (FORMAT csv)",
                 "COPY (SELECT 1) TO STDOUT", "INSERT INTO main.sb_cb VALUES (2)", "COMMIT")
    assert [o.split()[:2] for o, _ in out] == [["OK", "BEGIN"], ["OK", "INSERT"], ["ERROR", "0A000"],
                                              ["ERROR", "0A000"], ["OK", "INSERT"], ["OK", "COMMIT"]]
    assert [tx for _, tx in out] == ["T", "T", "T", "T", "T", "I"]
    assert s.psql("SELECT string_agg(a::VARCHAR, ',' ORDER BY a) FROM main.sb_cb", dbname="shop",
                  args=("-A", "-t")).stdout.strip() == "1,2"


def test_copy_refused_by_the_engine_aborts_the_transaction(own_standin):
    s = own_standin
    s.psql("CREATE TABLE main.sb_ce (a INTEGER)", dbname="shop")
    s.handle.control(copy_mode="refused-engine")
    out = script(s, "BEGIN", "INSERT INTO main.sb_ce VALUES (1)", "COPY main.sb_ce FROM STDIN (FORMAT csv)",
                 "SELECT 1", "ROLLBACK", "SELECT 2", "COPY (SELECT 1) TO STDOUT")
    assert [o.split()[:2] for o, _ in out] == [["OK", "BEGIN"], ["OK", "INSERT"], ["ERROR", "0A000"],
                                              ["ERROR", "25P02"], ["OK", "ROLLBACK"], ["OK", "SELECT"],
                                              ["ERROR", "0A000"]]
    assert [tx for _, tx in out] == ["T", "T", "E", "E", "I", "I", "I"]
    assert s.psql("SELECT count(*) FROM main.sb_ce", dbname="shop", args=("-A", "-t")).stdout.strip() == "0"


def test_cancel_ignored_rows_keep_coming(own_standin):
    s = own_standin
    # 100000 rows in 49 batches of 2048, 40 ms apart: about 2 s; the cancel comes after 0.3 s.
    s.handle.control(cancel="ignore", batch_delay_ms=40)
    r = pqtool(s, "SELECT range FROM range(100000)", "-s", "-c", "300")
    assert r.returncode == 0, r.stdout + r.stderr
    assert rows_of(r) == 100000
    after = int(r.stdout.split("rows_after_cancel ")[1].split()[0])
    assert after > 50000, r.stdout
    st = s.handle.stats()
    assert st["cancels"] == 1 and st["cancels_ignored"] == 1
    # Honoured again: the same query is cancelled.
    s.handle.control(cancel="honour")
    r = pqtool(s, "SELECT range FROM range(100000)", "-s", "-c", "300")
    assert r.returncode == 1 and "ERROR 57014" in r.stdout, r.stdout
    assert s.handle.stats()["cancels_ignored"] == 1


def test_booleans_as_t_and_f(own_standin):
    s = own_standin
    sql = "SELECT true, false, NULL::BOOLEAN, [true, false]"
    assert pqtool(s, sql, "-v").stdout.splitlines()[0] == "true\tfalse\t\\N\t[true, false]"
    s.handle.control(bool_format="tf")
    # Top-level BOOLEAN values as PostgreSQL sends them; nested ones stay DuckDB's text.
    assert pqtool(s, sql, "-v").stdout.splitlines()[0] == "t\tf\t\\N\t[true, false]"
    assert pqtool(s, "SELECT $1::BOOLEAN", "-p", "true", "-v").stdout.splitlines()[0] == "t"


@pytest.mark.parametrize("sql,name", [
    ("SET TimeZone = 'UTC'", "TimeZone"), ("SET SESSION TimeZone TO 'UTC'", "TimeZone"),
    ("SET TIME ZONE 'UTC'", "TimeZone"), ("set timezone to default", "TimeZone"),
    ("SET DateStyle = ISO", "DateStyle"), ("SET datestyle TO 'ISO, MDY'", "DateStyle"),
    ("SET statement_timeout = 5000", "statement_timeout"),
    ("SET SESSION STATEMENT_TIMEOUT TO '5s'", "statement_timeout"),
])
def test_refused_set(own_standin, sql, name):
    s = own_standin
    assert script(s, sql)[0][0].startswith("OK SET")
    s.handle.control(refuse_set="TimeZone,DateStyle,statement_timeout")
    out = script(s, sql, "SET application_name = 'x'", "BEGIN", sql, "SELECT 1", "ROLLBACK")
    assert out[0] == (f"ERROR 0A000 SET {name} is not supported", "I")
    assert out[1] == ("OK SET", "I")  # settings not in the list still work
    assert out[3] == (f"ERROR 0A000 SET {name} is not supported", "E")  # aborts, like any error
    assert out[4][0].startswith("ERROR 25P02")


def test_session_timezone(own_standin):
    s = own_standin
    sql = "SELECT TIMESTAMPTZ '2024-01-02 03:04:05+00', current_setting('TimeZone')"
    r = pqtool(s, sql, "-v", "-S", "TimeZone")
    assert r.stdout.splitlines()[:2] == ["param TimeZone UTC", "2024-01-02 03:04:05+00\tUTC"]
    s.handle.control(session_timezone="Asia/Kolkata", refuse_set=["TimeZone"])
    r = pqtool(s, sql, "-v", "-S", "TimeZone")
    assert r.stdout.splitlines()[:2] == ["param TimeZone Asia/Kolkata",
                                         "2024-01-02 08:34:05+05:30\tAsia/Kolkata"]
    # A client that cannot SET TimeZone keeps seeing the session's zone.
    out = script(s, "SET TimeZone = 'UTC'", "SELECT TIMESTAMPTZ '2024-01-02 03:04:05+00'")
    assert out[0][0].startswith("ERROR 0A000")
    with pytest.raises(Exception):
        s.handle.control(session_timezone="Nowhere/Atlantis")


def test_idle_connection_is_closed(own_standin):
    s = own_standin
    s.handle.control(idle_close_s=1)
    # Busy enough: works.
    assert rows_of(pqtool(s, "SELECT 1", "-i", "300")) == 1
    # Idle for longer: the server closes the connection, the client sees why.
    r = pqtool(s, "SELECT 1", "-i", "2500")
    assert r.returncode == 1
    assert "ERROR 57P05 terminating connection due to idle-session timeout" in r.stdout, r.stdout
    st = s.handle.stats()
    assert st["idle_closed"] == 1 and st["connections"] == 0
    s.handle.control(idle_close_s=0)
    assert rows_of(pqtool(s, "SELECT 1", "-i", "1500")) == 1


def test_idle_close_in_transaction_can_be_off(own_standin, tmp_path):
    """--idle-close-in-transaction false: a client pausing inside its
    transaction is not closed (as PostgreSQL's idle_session_timeout); on,
    the default, it is."""
    s = own_standin
    script = tmp_path / "pause.sql"
    script.write_text("BEGIN;\n\\! sleep 1.5\nSELECT 41 + 1;\n")
    s.handle.control(idle_close_s=0.5, idle_close_in_transaction=False)
    r = s.psql("COMMIT", args=("-A", "-t", "-f", str(script)))
    assert r.stdout.split() == ["42"] and s.handle.stats()["idle_closed"] == 0
    s.handle.control(idle_close_in_transaction=True)
    r = s.psql("COMMIT", args=("-A", "-t", "-f", str(script)), check=False)
    assert r.returncode != 0 and s.handle.stats()["idle_closed"] == 1, r.stderr
    s.handle.control(idle_close_s=0)


def test_connection_limit_per_token(own_standin):
    s = own_standin
    s.handle.control(max_connections=2)
    holders = [subprocess.Popen([build_path("tests", "c", "pqtool"), "-i", "4000", s.dsn(), "SELECT 1"],
                                env=dict(os.environ, PGPASSWORD=s.token), stdout=subprocess.PIPE, text=True)
               for _ in range(2)]
    try:
        tb.wait_for(lambda: s.handle.stats()["connections"] == 2, 20, "two connections")
        r = pqtool(s, "SELECT 1")
        assert r.returncode == 1 and "ERROR 53300 too many connections for this token" in r.stdout, r.stdout
        # The admin token is never counted: the tests can always look in.
        assert rows_of(pqtool(s, "SELECT 1", token=s.admin_token)) == 1
        assert s.psql("SELECT 3", args=("-A", "-t")).stdout.strip() == "3"
        assert s.handle.stats()["connections_refused"] == 1
    finally:
        for p in holders:
            out, _ = p.communicate(timeout=60)
            assert p.returncode == 0 and out.strip() == "rows 1"
    assert rows_of(pqtool(s, "SELECT 1")) == 1


def test_unnamed_statements_only(own_standin):
    s = own_standin
    named = ("SELECT $1::INTEGER + 1", "-P", "-p", "3", "-v")
    assert pqtool(s, *named).stdout.splitlines()[-2:] == ["4", "rows 1"]
    s.handle.control(unnamed_statements_only=True)
    r = pqtool(s, *named)
    assert r.returncode == 1 and "ERROR 0A000 named prepared statements are not supported" in r.stdout
    r = pqtool(s, "SELECT $1::INTEGER + 1", "-p", "3", "-v")  # the unnamed statement
    assert r.stdout.splitlines() == ["4", "rows 1"], r.stdout + r.stderr


def test_server_version(own_standin):
    s = own_standin
    r = pqtool(s, "SELECT 1", "-S", "server_version")
    assert r.stdout.splitlines()[0].startswith("param server_version 15.0 (MotherDuck stand-in, DuckDB 1.5")
    s.handle.control(server_version="v1.5.6 MotherDuck")
    r = pqtool(s, "SELECT 1", "-S", "server_version")
    assert r.stdout.splitlines() == ["param server_version v1.5.6 MotherDuck", "rows 1"]
    assert s.psql("SELECT 5", args=("-A", "-t")).stdout.strip() == "5"  # psql copes with it


def test_refused_read_only_transactions(own_standin):
    s = own_standin
    ro = ("BEGIN TRANSACTION READ ONLY", "ROLLBACK")
    assert [o.split()[:2] for o, _ in script(s, *ro)] == [["OK", "BEGIN"], ["OK", "ROLLBACK"]]
    s.handle.control(refuse_read_only=True)
    out = script(s, *ro, "START TRANSACTION READ ONLY", "BEGIN", "SET TRANSACTION READ ONLY",
                 "SELECT 1", "ROLLBACK", "BEGIN TRANSACTION", "ROLLBACK")
    assert out[0] == ("ERROR 0A000 read-only transactions are not supported", "I")
    assert out[2] == ("ERROR 0A000 read-only transactions are not supported", "I")
    assert out[3][0].startswith("OK BEGIN")
    assert out[4] == ("ERROR 0A000 read-only transactions are not supported", "E")  # aborts it
    assert out[5][0].startswith("ERROR 25P02")
    assert [o.split()[:2] for o, _ in out[6:]] == [["OK", "ROLLBACK"], ["OK", "BEGIN"], ["OK", "ROLLBACK"]]


@pytest.mark.parametrize("mode,oid,typmod", [("text", 25, -1), ("unknown", 705, -1)])
def test_type_oids_say_nothing(standin_factory, mode, oid, typmod):
    """--type-oids text|unknown: every column of a RowDescription (simple Query,
    Describe of a statement, of a portal) has one OID; the values stay the same text."""
    s = standin_factory(extra_args=["--type-oids", mode])
    sql = "SELECT true AS b, 1::INTEGER AS i, 12.5::DECIMAL(5,2) AS d, [1, 2] AS l"
    for opts in (["-d", "-v"], ["-P", "-d", "-v"], ["-p", "x", "-d", "-v"]):
        q = sql + (", $1::VARCHAR AS v" if "-p" in opts else "")
        r = pqtool(s, q, *opts)
        assert r.returncode == 0, r.stdout + r.stderr
        lines = r.stdout.splitlines()
        cols = [ln.split() for ln in lines if ln.startswith("col ")]
        assert [(int(c[2]), int(c[3])) for c in cols] == [(oid, typmod)] * len(cols), lines
        values = next(ln for ln in lines if "\t" in ln)
        assert values.split("\t")[:4] == ["true", "1", "12.50", "[1, 2]"]
    # Back to the twins at run time, for new statements.
    s.handle.control(type_oids="twins")
    r = pqtool(s, sql, "-d")
    assert [int(ln.split()[2]) for ln in r.stdout.splitlines() if ln.startswith("col ")] == \
        [16, 23, 1700, 25]
    with pytest.raises(Exception):
        s.handle.control(type_oids="binary")
