"""Query files (/.queries) through a real mount, on both servers and the
stand-in's hostile profile: a query written as NAME.sql is checked by the
endpoint at close() (never run), then NAME.csv streams it and NAME.parquet
holds it typed; data-changing statements and bad SQL are refused with the
reason in NAME.sql.error; queries_dir keeps them across remounts."""
import csv
import errno
import io
import os
import subprocess
import time

import pytest

import testbed as tb
from conftest import default_profile_only, duckdb_query as duck, hyparquet

# What a mount logs (at LOG_ERR) when the endpoint refuses a query: expected.
REFUSALS = ("query", "parquet export")


def schema_of(server):
    return "main" if server.engine == "duckdb" else "public"


def write(path, text):
    """Write text to path as `cat > path` would; close()'s failure raises."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def refused(path, text):
    """Write text and expect close() to fail; the OSError."""
    with pytest.raises(OSError) as e:
        write(path, text)
    return e.value


def psql_rows(server, sql):
    r = server.psql(sql, args=("--csv",))
    return list(csv.reader(io.StringIO(r.stdout, newline="")))


def mount_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture
def qtable(server):
    """A small table in the source's default database, named without one."""
    server.psql("DROP TABLE IF EXISTS qfiles; CREATE TABLE qfiles (id INTEGER, status TEXT, "
                "amount NUMERIC(10,2), day DATE, note TEXT)")
    server.psql("INSERT INTO qfiles VALUES (1, 'shipped', 1.50, DATE '2024-01-02', 'comma, \"quote\"'), "
                "(2, 'open', 20.00, DATE '2024-02-03', NULL), (3, 'shipped', 3.25, NULL, ''), "
                "(4, 'ünïcødé ✓', -4.00, DATE '1999-12-31', 'line\nbreak')")
    yield "qfiles"
    server.psql("DROP TABLE IF EXISTS qfiles")


def test_query_file_streams_like_psql(server, qtable, mount_factory):
    m = mount_factory(server, allowed_stderr=REFUSALS)
    q = m.path(".queries")
    # A dot name: `ls` hides it, `ls -a` shows it; empty at first.
    assert ".queries" not in subprocess.run(["ls", m.mnt], capture_output=True, text=True).stdout.split()
    assert ".queries" in subprocess.run(["ls", "-a", m.mnt], capture_output=True, text=True).stdout.split()
    assert os.listdir(q) == []
    sql = "select status, count(*) AS n, sum(amount) AS total from qfiles group by status order by status\n"
    write(os.path.join(q, "by_status.sql"), sql)
    assert sorted(os.listdir(q)) == ["by_status.csv", "by_status.parquet", "by_status.sql"]
    assert open(os.path.join(q, "by_status.sql")).read() == sql
    assert mount_rows(os.path.join(q, "by_status.csv")) == psql_rows(server, sql)
    every = "select * from qfiles order by id"
    write(os.path.join(q, "every.sql"), every)
    rows = mount_rows(os.path.join(q, "every.csv"))
    assert rows == psql_rows(server, every)
    assert rows[1][4] == 'comma, "quote"' and rows[4][4] == "line\nbreak"
    # NULL is an empty field, the empty string "" (as psql --csv writes them).
    raw = open(os.path.join(q, "every.csv"), "rb").read()
    assert b'\n2,open,20.00,2024-02-03,\n' in raw and b',""\n' in raw
    # Each open runs the query afresh.
    server.psql("INSERT INTO qfiles VALUES (5, 'open', 1, NULL, NULL)")
    assert mount_rows(os.path.join(q, "every.csv")) == psql_rows(server, every)
    assert len(mount_rows(os.path.join(q, "every.csv"))) == 6
    # A shell redirection and cp store it too (bash's `>` closes a copy of
    # the empty file before cat writes: that flush must not stick).
    src = os.path.join(os.path.dirname(m.mnt), "src.sql")
    with open(src, "w") as f:
        f.write("select 7 AS seven\n")
    subprocess.run(f"cat '{src}' > '{q}/shell.sql'", shell=True, check=True, executable="/bin/bash")
    subprocess.run(["cp", src, os.path.join(q, "copied.sql")], check=True)
    for name in ("shell", "copied"):
        assert open(os.path.join(q, f"{name}.csv")).read() == "seven\n7\n"
        assert not os.path.exists(os.path.join(q, f"{name}.sql.error"))
    # rm NAME.sql removes the query and its files.
    for name in ("every", "shell", "copied"):
        os.unlink(os.path.join(q, f"{name}.sql"))
    assert sorted(os.listdir(q)) == ["by_status.csv", "by_status.parquet", "by_status.sql"]
    with pytest.raises(FileNotFoundError):
        open(os.path.join(q, "every.csv"))


def test_query_parquet_has_the_result_types(server, qtable, mount_factory):
    m = mount_factory(server, allowed_stderr=REFUSALS)
    q = m.path(".queries")
    write(os.path.join(q, "typed.sql"),
          "select id, CAST(id AS BIGINT) * 10000000000 AS big, status, amount, day, id > 2 AS late, "
          "CAST(amount AS DOUBLE PRECISION) AS f from qfiles order by id")
    path = os.path.join(q, "typed.parquet")
    schema = {r[0]: r[1:] for r in duck(f"SELECT name, type, logical_type FROM parquet_schema('{path}')")}
    assert schema["id"][0] == "INT32" and schema["big"][0] == "INT64"
    assert schema["status"][0] == "BYTE_ARRAY" and "String" in str(schema["status"][1])
    assert "Decimal" in str(schema["amount"][1]) and "Date" in str(schema["day"][1])
    assert schema["late"][0] == "BOOLEAN" and schema["f"][0] == "DOUBLE"
    rows = duck(f"SELECT id, big, status, CAST(amount AS VARCHAR), CAST(day AS VARCHAR), late, f "
                f"FROM read_parquet('{path}') ORDER BY id")
    assert rows[0] == [1, "10000000000", "shipped", "1.50", "2024-01-02", False, 1.5]
    assert rows[3] == [4, "40000000000", "ünïcødé ✓", "-4.00", "1999-12-31", True, -4.0]
    assert rows[2][4] is None
    h = hyparquet(path)
    assert h["num_rows"] == 4
    assert h["columns"] == ["id", "big", "status", "amount", "day", "late", "f"]
    assert h["created_by"].startswith("mdfs version")


@pytest.mark.parametrize("server", ["duckdb"], indirect=True)
def test_nested_values_are_json_on_duckdb(server, mount_factory):
    m = mount_factory(server)
    q = m.path(".queries")
    # A trailing semicolon and comment are the user's; they stay harmless.
    write(os.path.join(q, "nested.sql"), "select [1, 2] AS l, {'k': 'v'} AS s, 42 AS n; -- done\n")
    path = os.path.join(q, "nested.parquet")
    assert duck(f"SELECT l, s, n FROM read_parquet('{path}')") == [["[1,2]", '{"k":"v"}', 42]]


def test_changing_statements_and_bad_sql_are_refused(server, qtable, mount_factory):
    m = mount_factory(server, allowed_stderr=REFUSALS)
    q = m.path(".queries")
    write(os.path.join(q, "keep.sql"), "select count(*) AS n from qfiles")
    statements = [
        ("ins", "insert into qfiles values (9, 'x', 1, NULL, NULL)"),
        ("ctas", "create table qfiles_copy AS select * from qfiles"),
        ("drop", "drop table qfiles"),
        ("two", "select 1; drop table qfiles"),
        ("bad", "selec 1 frm qfiles"),
        ("missing", "select * from no_such_table_here"),
        ("param", "select $1 AS x"),
        ("empty", "  \n"),
    ]
    for name, sql in statements:
        e = refused(os.path.join(q, f"{name}.sql"), sql)
        assert e.errno == errno.EINVAL, (name, e)
        why = open(os.path.join(q, f"{name}.sql.error")).read()
        assert why.endswith("\n") and len(why) > 5, (name, why)
        assert not os.path.exists(os.path.join(q, f"{name}.csv")), name
    assert "syntax" in open(os.path.join(q, "bad.sql.error")).read().lower()
    assert "no_such_table_here" in open(os.path.join(q, "missing.sql.error")).read()
    # A refused rewrite keeps the old query; a good one clears the error.
    e = refused(os.path.join(q, "keep.sql"), "delete from qfiles")
    assert e.errno == errno.EINVAL
    assert open(os.path.join(q, "keep.sql")).read() == "select count(*) AS n from qfiles"
    assert mount_rows(os.path.join(q, "keep.csv")) == [["n"], ["4"]]
    write(os.path.join(q, "keep.sql"), "select count(*) AS m from qfiles")
    assert not os.path.exists(os.path.join(q, "keep.sql.error"))
    os.unlink(os.path.join(q, "bad.sql.error"))
    assert "bad.sql.error" not in os.listdir(q)
    # Nothing ran: the table is whole and nothing was created.
    assert psql_rows(server, "select count(*) from qfiles")[1] == ["4"]
    assert "qfiles_copy" not in server.psql("select table_name from information_schema.tables",
                                            args=("-A", "-t")).stdout.split()


def test_a_writing_cte_is_refused_at_close(server, qtable, mount_factory):
    """PostgreSQL describes WITH x AS (INSERT ... RETURNING) as a query (and
    PREPARE and EXPLAIN take it in a read-only transaction): the check at
    close() refuses it all the same, and nothing is written (DuckDB has no
    data-modifying WITH: a syntax error there)."""
    m = mount_factory(server, allowed_stderr=REFUSALS)
    q = m.path(".queries")
    path = os.path.join(q, "sneaky.sql")
    sql = "with x AS (insert into qfiles values (9, 'x', 1, NULL, NULL) returning id) select * from x"
    e = refused(path, sql)
    assert e.errno == errno.EINVAL
    why = open(path + ".error").read()
    if server.engine == "postgres":
        assert "change data" in why and "data-modifying" in why, why
    assert sorted(os.listdir(q)) == ["sneaky.sql.error"]
    # A query that only reads still passes the check (and its trailing ;).
    write(path, "with x AS (select id from qfiles) select count(*) AS n from x;")
    assert mount_rows(os.path.join(q, "sneaky.csv")) == [["n"], ["4"]]
    assert psql_rows(server, "select count(*) from qfiles")[1] == ["4"]


def test_names_with_quotes_semicolons_percent_unicode(server, qtable, mount_factory):
    m = mount_factory(server, allowed_stderr=REFUSALS)
    q = m.path(".queries")
    name = "it's; \"q\" 100%25 ünï ✓"
    write(os.path.join(q, name + ".sql"), "select 'a;b' AS \"it's\";\n")
    assert sorted(os.listdir(q)) == sorted(name + s for s in (".csv", ".parquet", ".sql"))
    assert open(os.path.join(q, name + ".csv")).read() == "it's\na;b\n"
    data = open(os.path.join(q, name + ".parquet"), "rb").read()
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"
    # Readers that stat before they open see the newest result's size.
    assert os.stat(os.path.join(q, name + ".parquet")).st_size == len(data)
    h = hyparquet(os.path.join(q, name + ".parquet"))
    assert h["num_rows"] == 1 and h["columns"] == ["it's"]
    # A '%' that is no valid encoding cannot name a query.
    with pytest.raises(OSError) as e:
        write(os.path.join(q, "50%.sql"), "select 1")
    assert e.value.errno == errno.EPERM
    # Only NAME.sql is written; the results are read-only.
    with pytest.raises(OSError) as e:
        write(os.path.join(q, name + ".csv"), "x")
    assert e.value.errno in (errno.EACCES, errno.EPERM)


def test_head_of_ten_million_rows_is_fast_and_cancels(server, mount_factory):
    m = mount_factory(server)
    q = m.path(".queries")
    if server.engine == "duckdb":
        sql, marker = "select range AS n from range(10000000)", "range(10000000)"
    else:
        # In the select list (ProjectSet) the series streams; in FROM it
        # would be materialized first.
        sql, marker = "select generate_series(1, 10000000) AS n", "generate_series(1, 10000000)"
    write(os.path.join(q, "big.sql"), sql)
    path = os.path.join(q, "big.csv")
    times = []
    for _ in range(3):
        started = time.monotonic()
        r = subprocess.run(["head", "-n", "1", path], capture_output=True, text=True, timeout=60)
        times.append(time.monotonic() - started)
        assert r.returncode == 0 and r.stdout == "n\n"
    print("head -n1 of a 10M-row query:", " ".join(f"{t:.3f}" for t in times))
    assert min(times) < 0.5, times

    def gone():
        if server.engine == "duckdb":
            return server.handle.stats()["active_queries"] == 0
        r = server.psql("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                        f"AND query LIKE '%{marker}%' AND pid <> pg_backend_pid() AND backend_type = 'client backend'", args=("-A", "-t"))
        return r.stdout.strip() == "0"

    tb.wait_for(gone, 10, "the server-side query to be cancelled")


def test_queries_dir_survives_a_remount(server, qtable, mount_factory, tmp_path):
    qdir = tmp_path / "analyses"
    qdir.mkdir()
    m = mount_factory(server, opts=(f"queries_dir={qdir}",), allowed_stderr=REFUSALS)
    write(m.path(".queries", "by_status.sql"), "select status from qfiles where id = 1")
    assert (qdir / "by_status.sql").read_text() == "select status from qfiles where id = 1"
    e = refused(m.path(".queries", "bad.sql"), "selec")
    assert e.errno == errno.EINVAL and not (qdir / "bad.sql").exists()
    # DIR holds each query under its name as shown (encoded, like a table's).
    odd = "it's; \"q\" 5%25 ünï"
    write(m.path(".queries", odd + ".sql"), "select 5 AS \"it's\"")
    assert (qdir / (odd + ".sql")).read_text() == "select 5 AS \"it's\""
    m.stop()
    # A file put there by other means is a query file too.
    (qdir / "mine.sql").write_text("select 2 AS two\n")
    (qdir / "notes.txt").write_text("not a query")
    m2 = mount_factory(server, opts=(f"queries_dir={qdir}",))
    q = m2.path(".queries")
    assert sorted(os.listdir(q)) == sorted(["by_status.csv", "by_status.parquet", "by_status.sql",
                                            "mine.csv", "mine.parquet", "mine.sql",
                                            odd + ".csv", odd + ".parquet", odd + ".sql"])
    assert open(os.path.join(q, "by_status.csv")).read() == "status\nshipped\n"
    assert open(os.path.join(q, odd + ".csv")).read() == "it's\n5\n"
    os.unlink(os.path.join(q, odd + ".sql"))
    assert not (qdir / (odd + ".sql")).exists()
    assert open(os.path.join(q, "mine.csv")).read() == "two\n2\n"
    os.unlink(os.path.join(q, "mine.sql"))
    assert not (qdir / "mine.sql").exists()
    m2.stop()
    # Read-only: nothing written or removed, the queries still run.
    ro = mount_factory(server, opts=(f"queries_dir={qdir}", "ro"))
    q = ro.path(".queries")
    assert open(os.path.join(q, "by_status.csv")).read() == "status\nshipped\n"
    for act in (lambda: write(os.path.join(q, "new.sql"), "select 1"),
                lambda: os.unlink(os.path.join(q, "by_status.sql"))):
        with pytest.raises(OSError) as e:
            act()
        assert e.value.errno == errno.EROFS


@pytest.mark.parametrize("server", ["duckdb"], indirect=True)
def test_a_bad_queries_dir_fails_the_mount(server, tmp_path):
    from conftest import Mount
    m = Mount(server, tmp_path / "mnt", opts=(f"queries_dir={tmp_path / 'nope'}",))
    with pytest.raises(AssertionError) as e:
        m.start()
    assert "queries_dir" in str(e.value)


def test_a_broken_stream_is_eio_never_a_short_file(own_standin, mount_factory):
    s = own_standin
    m = mount_factory(s, allowed_stderr=("stream broke", "connection", "server closed", "EOF", "SSL"))
    write(m.path(".queries", "long.sql"), "select range AS n from range(200000)")
    s.handle.control(close_after_rows=50_000)
    with pytest.raises(OSError) as e:
        with open(m.path(".queries", "long.csv"), "rb") as f:
            while f.read(65536):
                pass
    assert e.value.errno == errno.EIO
    s.handle.control(close_after_rows=None)
    with open(m.path(".queries", "long.csv"), "rb") as f:
        assert f.read().count(b"\n") == 200_001


@default_profile_only()
def test_editor_saves_and_cp_p(server, qtable, mount_factory, tmp_path):
    """Query files are written like a view's NAME.sql (fs/writes.c): a temp
    file renamed onto NAME.sql (sed -i, mv, editors) is checked and stored
    at the rename; cp -p's chmod and times are accepted; the last of two
    writers wins and the earlier one's close() fails with EBUSY."""
    m = mount_factory(server, allowed_stderr=REFUSALS + ("another process",))
    q = m.path(".queries")
    path = os.path.join(q, "ed.sql")
    write(path, "select id from qfiles where id = 1\n")
    r = subprocess.run(["sed", "-i", "s/id = 1/id = 2/", path], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert open(path).read() == "select id from qfiles where id = 2\n"
    assert mount_rows(os.path.join(q, "ed.csv")) == [["id"], ["2"]]
    assert sorted(os.listdir(q)) == ["ed.csv", "ed.parquet", "ed.sql"]

    tmp = os.path.join(q, "ed.sql.tmp")
    with open(tmp, "w") as f:
        f.write("select id from qfiles where id = 3")
    assert "ed.sql.tmp" in os.listdir(q)
    os.rename(tmp, path)
    assert mount_rows(os.path.join(q, "ed.csv")) == [["id"], ["3"]]
    assert sorted(os.listdir(q)) == ["ed.csv", "ed.parquet", "ed.sql"]
    # Renamed onto NAME.sql, a refused query fails the rename; the old one stays.
    with open(tmp, "w") as f:
        f.write("delete from qfiles")
    with pytest.raises(OSError) as e:
        os.rename(tmp, path)
    assert e.value.errno == errno.EINVAL
    assert open(path).read() == "select id from qfiles where id = 3"
    assert "delete" in open(path + ".error").read() or os.path.getsize(path + ".error") > 5

    src = tmp_path / "src.sql"
    src.write_text("select 4 AS four")
    os.chmod(src, 0o600)
    r = subprocess.run(["cp", "-p", str(src), path], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert mount_rows(os.path.join(q, "ed.csv")) == [["four"], ["4"]]
    assert not os.path.exists(path + ".error")
    # A new query by cp -p, and chmod of a stored one: accepted.
    r = subprocess.run(["cp", "-p", str(src), os.path.join(q, "new.sql")], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    os.chmod(os.path.join(q, "new.sql"), 0o644)
    assert mount_rows(os.path.join(q, "new.csv")) == [["four"], ["4"]]

    # Two writers: the later open is the one stored.
    first = os.open(path, os.O_WRONLY | os.O_TRUNC)
    second = os.open(path, os.O_WRONLY | os.O_TRUNC)
    os.write(first, b"select 5 AS five")
    os.write(second, b"select 6 AS six")
    with pytest.raises(OSError) as e:
        os.close(first)
    assert e.value.errno == errno.EBUSY
    os.close(second)
    assert mount_rows(os.path.join(q, "ed.csv")) == [["six"], ["6"]]
