"""NAME.sql beside every relation, views written as files, and a relation's
metadata as extended attributes (issue 11 items 1-3), through a real mount of
each server: the definitions are the engine's own, sizes are exact, a view
file creates, replaces, round-trips, fails through close() with the reason in
NAME.sql.error (the old view untouched) and is dropped by rm only with
-o allow_drop; comments set with setxattr are the engine's comments."""
import csv
import errno
import io
import os
import subprocess

import pytest

from conftest import SERVER_IDS, Mount, server_for

SCHEMA = "sqlm"
TABLE = 'we"ird;%'          # file name: we"ird;%25
VIEW = 'v "q";1%ü'          # file name: v "q";1%25ü
NEW_VIEW = "nëw 'v';%"
ALLOWED = ("defined view", "define view", "comment:", "drop view", "failed", "not a view",
           "cannot drop", "depend", "query: ")


def fname(name, ext):
    return name.replace("%", "%25") + ext


def qi(name):
    return '"' + name.replace('"', '""') + '"'


def ql(text):
    return "'" + text.replace("'", "''") + "'"


@pytest.fixture(scope="module", params=SERVER_IDS)
def sm(request, tmp_path_factory):
    """A mount (-o allow_drop) of one server with schema sqlm: a table with
    quotes, a semicolon and % in its name, a view on it (unicode too), and a
    table never analyzed (PostgreSQL: no row estimate)."""
    server = server_for(request, request.param)
    md = server.engine == "duckdb"
    s, t, v = qi(SCHEMA), qi(TABLE), qi(VIEW)
    server.psql(f"DROP SCHEMA IF EXISTS {s} CASCADE", dbname="shop")
    types = ("BIGINT", "DECIMAL(12,2)", "VARCHAR[]", "VARCHAR") if md else \
        ("bigint", "numeric(12,2)", "text[]", "text")
    server.psql(f"CREATE SCHEMA {s}; "
                f"CREATE TABLE {s}.{t} (id {types[0]} NOT NULL, price {types[1]}, "
                f"tags {types[2]}, \"ü x\" {types[3]} NOT NULL); "
                f"INSERT INTO {s}.{t} VALUES (1, 2.50, NULL, 'a'), (2, 3.00, NULL, 'b'); "
                f"CREATE VIEW {s}.{v} AS SELECT id, price FROM {s}.{t} WHERE id > 1; "
                f"CREATE TABLE {s}.fresh (a INTEGER); "
                f"COMMENT ON TABLE {s}.{t} IS 'the ''orders'' table'", dbname="shop")
    if not md:
        server.psql(f"ANALYZE {s}.{t}", dbname="shop")
    m = Mount(server, tmp_path_factory.mktemp("sqlmnt") / "mnt", opts=("allow_drop",), asan=True,
              allowed_stderr=ALLOWED)
    m.start()
    m.dir = m.path("shop", SCHEMA)
    yield m
    m.stop()
    server.psql(f"DROP SCHEMA IF EXISTS {s} CASCADE", dbname="shop")


def rows(server, sql):
    r = server.psql(sql, dbname="shop", args=("--csv",))
    return list(csv.reader(io.StringIO(r.stdout)))[1:]


def engine_definitions(server):
    """{name: the engine's own CREATE statement} (PostgreSQL: each view's
    pg_get_viewdef, each table's columns as (name, format_type, attnotnull))."""
    if server.engine == "duckdb":
        return dict(rows(server, f"SELECT table_name, sql FROM duckdb_tables() WHERE database_name = "
                                 f"'shop' AND schema_name = '{SCHEMA}' UNION ALL SELECT view_name, sql "
                                 f"FROM duckdb_views() WHERE database_name = 'shop' AND schema_name = "
                                 f"'{SCHEMA}'"))
    out = {}
    for name, kind, viewdef in rows(server, "SELECT c.relname, c.relkind, CASE WHEN c.relkind = 'v' "
                                            "THEN pg_get_viewdef(c.oid) END FROM pg_class c JOIN "
                                            "pg_namespace n ON n.oid = c.relnamespace WHERE "
                                            f"n.nspname = '{SCHEMA}' AND c.relkind IN ('r', 'v')"):
        out[name] = viewdef if kind == "v" else rows(
            server, "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
                    f"WHERE attrelid = '{qi(SCHEMA)}.{qi(name)}'::regclass AND attnum > 0 "
                    "AND NOT attisdropped ORDER BY attnum")
    return out


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write(path, text):
    """open(O_TRUNC), write, close: close() raises what the view definition gave."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def test_sql_files_are_the_engines_definitions(sm):
    server = sm.server
    defs = engine_definitions(server)
    assert set(defs) == {TABLE, VIEW, "fresh"}
    listed = sorted(f for f in os.listdir(sm.dir) if f.endswith(".sql"))
    assert listed == sorted(fname(n, ".sql") for n in defs)
    for name, d in defs.items():
        path = os.path.join(sm.dir, fname(name, ".sql"))
        text = read(path)
        assert os.stat(path).st_size == len(text.encode()), name  # ls -l shows the exact size
        assert text.endswith("\n") and not text.endswith("\n\n")
        if server.engine == "duckdb":
            assert text == d + "\n"
        elif isinstance(d, str):  # a view
            assert text == f"CREATE VIEW {SCHEMA}.{qi(name)} AS\n{d}\n"
        else:
            for col, typ, notnull in d:
                col_q = col if col.isidentifier() and col.islower() and col.isascii() else qi(col)
                assert f"    {col_q} {typ}{' NOT NULL' if notnull == 't' else ''}" in text, text
    table = read(os.path.join(sm.dir, fname(TABLE, ".sql")))
    if server.engine == "duckdb":
        assert table == (f'CREATE TABLE {SCHEMA}."we""ird;%"(id BIGINT NOT NULL, price DECIMAL(12,2), '
                         'tags VARCHAR[], "ü x" VARCHAR NOT NULL);\n')
    else:
        assert table == (f'CREATE TABLE {SCHEMA}."we""ird;%" (\n    id bigint NOT NULL,\n'
                         '    price numeric(12,2),\n    tags text[],\n    "ü x" text NOT NULL\n);\n')


def test_xattrs_of_every_relation_file(sm):
    server = sm.server
    md = server.engine == "duckdb"
    cols = {TABLE: ["id\tBIGINT", "price\tDECIMAL(12,2)", "tags\tVARCHAR[]", "ü x\tVARCHAR"] if md else
            ["id\tbigint", "price\tnumeric(12,2)", "tags\ttext[]", "ü x\ttext"],
            VIEW: ["id\tBIGINT", "price\tDECIMAL(12,2)"] if md else ["id\tbigint", "price\tnumeric(12,2)"],
            "fresh": ["a\tINTEGER" if md else "a\tinteger"]}
    expect_rows = {TABLE: "2", VIEW: "unknown", "fresh": "0" if md else "unknown"}
    for name in cols:
        for ext in (".csv", ".parquet", ".sql"):
            path = os.path.join(sm.dir, fname(name, ext))
            assert sorted(os.listxattr(path)) == ["user.mdfs.columns", "user.mdfs.comment",
                                                  "user.mdfs.kind", "user.mdfs.rows"]
            x = {n: os.getxattr(path, n).decode() for n in os.listxattr(path)}
            assert x["user.mdfs.kind"] == ("view" if name == VIEW else "table")
            assert x["user.mdfs.rows"] == expect_rows[name], (name, x)
            assert x["user.mdfs.columns"] == "".join(c + "\n" for c in cols[name])
            assert x["user.mdfs.comment"] == ("the 'orders' table" if name == TABLE else "")
    # Directories and other names have none; other attribute names are absent.
    assert os.listxattr(sm.dir) == []
    with pytest.raises(OSError) as e:
        os.getxattr(os.path.join(sm.dir, fname(TABLE, ".csv")), "user.mdfs.nothing")
    assert e.value.errno == errno.ENODATA
    # Other namespaces are not supported (ls -l then stops asking for them).
    for name in ("security.selinux", "system.posix_acl_access"):
        with pytest.raises(OSError) as e:
            os.getxattr(os.path.join(sm.dir, fname(TABLE, ".csv")), name)
        assert e.value.errno == errno.ENOTSUP


def test_comment_through_setxattr(sm):
    server = sm.server
    path = os.path.join(sm.dir, fname(VIEW, ".csv"))
    text = "it's \"quoted\"; 100% ünïcode \\ backslash"
    os.setxattr(path, "user.mdfs.comment", text.encode())
    assert os.getxattr(os.path.join(sm.dir, fname(VIEW, ".sql")), "user.mdfs.comment").decode() == text
    if server.engine == "duckdb":
        got = rows(server, f"SELECT comment FROM duckdb_views() WHERE schema_name = '{SCHEMA}' "
                           f"AND view_name = {ql(VIEW)}")
    else:
        got = rows(server, f"SELECT obj_description('{qi(SCHEMA)}.{qi(VIEW)}'::regclass, 'pg_class')")
    assert got == [[text]]
    os.removexattr(path, "user.mdfs.comment")
    assert os.getxattr(path, "user.mdfs.comment") == b""
    for name in ("user.mdfs.kind", "user.mdfs.rows", "user.other"):
        with pytest.raises(OSError) as e:
            os.setxattr(path, name, b"x")
        assert e.value.errno == errno.ENOTSUP


def test_view_files(sm):
    server = sm.server
    d = sm.dir
    vpath = os.path.join(d, fname(VIEW, ".sql"))
    npath = os.path.join(d, fname(NEW_VIEW, ".sql"))

    # A query creates a view; the CSV of it reads its rows.
    write(npath, f"select id * 10 as x from {SCHEMA}.{qi(TABLE)} order by 1;\n")
    assert read(os.path.join(d, fname(NEW_VIEW, ".csv"))) == "x\n10\n20\n"
    assert os.getxattr(npath, "user.mdfs.kind") == b"view"

    # Reading it back and writing it unchanged succeeds and changes nothing
    # (not even the comment, which a DuckDB CREATE OR REPLACE would drop).
    os.setxattr(vpath, "user.mdfs.comment", b"kept")
    before = read(vpath)
    write(vpath, before)
    subprocess.run(["cp", vpath, vpath + ".bak"], check=True)  # a spool-only copy
    subprocess.run(["cp", vpath + ".bak", vpath], check=True)
    os.unlink(vpath + ".bak")
    assert read(vpath) == before
    assert os.getxattr(vpath, "user.mdfs.comment") == b"kept"
    pg = server.engine == "postgres"
    if pg:  # and its grants (roles are the cluster's: made once)
        server.psql("DO $$BEGIN CREATE ROLE \"mdfs q11\"; EXCEPTION WHEN duplicate_object "
                    f"THEN NULL; END$$; GRANT SELECT ON {SCHEMA}.{qi(VIEW)} TO \"mdfs q11\"",
                    dbname="shop")
    # A full CREATE VIEW for that name (qualified, OR REPLACE) replaces it;
    # with other columns (PostgreSQL: DROP and CREATE) it keeps its comment.
    write(vpath, f"CREATE OR REPLACE VIEW shop.{SCHEMA}.{qi(VIEW)} AS SELECT id FROM "
                 f"{SCHEMA}.{qi(TABLE)} WHERE id = 1")
    assert read(os.path.join(d, fname(VIEW, ".csv"))) == "id\n1\n"  # fewer columns: replaced
    assert os.getxattr(vpath, "user.mdfs.comment") == b"kept"
    if pg:
        assert rows(server, f"SELECT has_table_privilege('mdfs q11', "
                            f"{ql(qi(SCHEMA) + '.' + qi(VIEW))}, 'SELECT')") == [["t"]]
    replaced = read(vpath)

    # An editor: a temp file renamed over the view's file.
    tmp = os.path.join(d, ".edit.tmp")
    with open(tmp, "w") as f:
        f.write(f"select id, 'edited' as how from {SCHEMA}.{qi(TABLE)} where id = 2")
    os.rename(tmp, vpath)
    assert read(os.path.join(d, fname(VIEW, ".csv"))) == "id,how\n2,edited\n"
    edited = read(vpath)
    assert edited != replaced

    # Failures: close() fails, the reason is in NAME.sql.error, the view stays.
    for text, why in [("selec 1", "syntax"),
                      ("select 1; drop table x", "one statement"),
                      (f"CREATE VIEW {SCHEMA}.other AS SELECT 1", "can only define view"),
                      (f"CREATE VIEW main.{qi(VIEW)} AS SELECT 1", "can only define view")]:
        with pytest.raises(OSError):
            write(vpath, text)
        assert why in read(vpath + ".error"), (text, read(vpath + ".error"))
        assert read(vpath) == edited
    # A table's name: its .sql is read-only; renamed onto, the engine refuses.
    tpath = os.path.join(d, fname(TABLE, ".sql"))
    with pytest.raises(PermissionError) as e:
        write(tpath, "select 1")
    assert e.value.errno == errno.EACCES
    with open(tmp, "w") as f:
        f.write("select 1 as one")
    with pytest.raises(OSError):
        os.rename(tmp, tpath)
    assert read(tpath).startswith("CREATE TABLE")
    os.unlink(tpath + ".error")
    # Success clears the error file.
    write(vpath, edited)
    assert not os.path.exists(vpath + ".error")

    # rm drops a view (here, with -o allow_drop), never a table through its .sql.
    with pytest.raises(PermissionError):
        os.unlink(tpath)
    os.unlink(npath)
    assert not os.path.exists(os.path.join(d, fname(NEW_VIEW, ".csv")))
    assert rows(server, f"SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                        f"'{SCHEMA}' AND table_name = {ql(NEW_VIEW)}") == [["0"]]


def test_view_file_editor_saves(sm, tmp_path):
    """sed -i (a temp file in the schema directory, its mode set, renamed
    onto NAME.sql), mv of a temp file, and cp -p (times and mode set on the
    open file) define the view, with no warning."""
    d = sm.dir
    name = "ed v;%"
    vpath = os.path.join(d, fname(name, ".sql"))
    csvpath = os.path.join(d, fname(name, ".csv"))
    write(vpath, f"select id from {SCHEMA}.{qi(TABLE)} where id = 1")
    r = subprocess.run(["sed", "-i", "s/id = 1/id = 2/", vpath], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert read(csvpath) == "id\n2\n"
    tmp = os.path.join(d, "ed.tmp")
    with open(tmp, "w") as f:
        f.write(f"select id * 3 as t from {SCHEMA}.{qi(TABLE)} where id = 1")
    os.rename(tmp, vpath)
    assert read(csvpath) == "t\n3\n"
    assert "ed.tmp" not in os.listdir(d)
    src = tmp_path / "v.sql"
    src.write_text(f"select id * 7 as s from {SCHEMA}.{qi(TABLE)} where id = 1")
    os.chmod(src, 0o600)
    r = subprocess.run(["cp", "-p", str(src), vpath], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert read(csvpath) == "s\n7\n"
    os.chmod(vpath, 0o644)  # a view's .sql: accepted, a no-op
    os.unlink(vpath)
    assert not os.path.exists(csvpath)


def test_view_files_need_allow_drop_and_a_writable_mount(sm, mount_factory):
    server = sm.server
    plain = mount_factory(server, allowed_stderr=ALLOWED)
    vpath = plain.path("shop", SCHEMA, fname(VIEW, ".sql"))
    with pytest.raises(PermissionError) as e:
        os.unlink(vpath)
    assert e.value.errno == errno.EPERM
    ro = mount_factory(server, opts=("ro",))
    rpath = ro.path("shop", SCHEMA, fname(VIEW, ".sql"))
    text = read(rpath)
    for op in (lambda: write(rpath, text), lambda: os.unlink(rpath),
               lambda: os.setxattr(rpath, "user.mdfs.comment", b"x"),
               lambda: write(ro.path("shop", SCHEMA, "brand_new.sql"), "select 1")):
        with pytest.raises(OSError) as e:
            op()
        assert e.value.errno == errno.EROFS
    assert read(vpath) == text


def test_a_new_view_sends_one_statement(own_standin, mount_factory):
    """A view whose name the schema's listing does not show has no comment
    or grants to keep: writing NAME.sql sends its CREATE alone, without the
    read of what to keep; replacing it then keeps its comment."""
    s = own_standin
    s.psql("CREATE SCHEMA IF NOT EXISTS nv; CREATE OR REPLACE TABLE nv.t AS SELECT 1 AS a")
    m = mount_factory(s, allowed_stderr=ALLOWED)
    d = m.path("shop", "nv")
    assert "v.sql" not in os.listdir(d)  # the listing the write path reads
    vpath = os.path.join(d, "v.sql")
    before = s.handle.stats()["queries_total"]
    write(vpath, "select a from nv.t")
    assert s.handle.stats()["queries_total"] - before == 1
    assert read(os.path.join(d, "v.csv")) == "a\n1\n"
    os.setxattr(vpath, "user.mdfs.comment", b"kept")
    write(vpath, "select a + 1 as b from nv.t")
    assert read(os.path.join(d, "v.csv")) == "b\n2\n"
    assert os.getxattr(vpath, "user.mdfs.comment") == b"kept"
