"""The seed drop-in on a real mount, on both servers: dbt's own fixtures give
the tables dbt says they give; every way of copying a file in works; bad
input fails through close() and the error file, leaving the old table as it
was."""
import json
import errno
import os
import re
import shutil
import subprocess
import threading

import pytest

import testbed as tb
from conftest import REPO, SERVER_IDS, Mount, default_profile_only, server_for

FIXTURES = os.path.normpath(os.path.join(REPO, "..", "shared", "fixtures", "dbt-seeds"))
DERIVED = os.path.join(FIXTURES, "agate_inferred_postgres_types.json")

# information_schema.columns.data_type of each engine, in dbt's words.
TYPE_NAMES = {
    "INTEGER": "integer", "integer": "integer", "BIGINT": "bigint", "bigint": "bigint",
    "VARCHAR": "text", "text": "text", "BOOLEAN": "boolean", "boolean": "boolean",
    "DATE": "date", "date": "date", "DOUBLE": "float8", "double precision": "float8",
    "TIMESTAMP": "timestamp without time zone",
    "timestamp without time zone": "timestamp without time zone",
    "FLOAT": "real", "real": "real",
}


@pytest.fixture(scope="module", params=SERVER_IDS)
def wm(request, tmp_path_factory):
    """A writable mount of one server, shared by this module's tests, with a
    fresh schema `seeds` made by mkdir."""
    server = server_for(request, request.param)
    server.psql("DROP SCHEMA IF EXISTS seeds CASCADE", dbname="shop")
    m = Mount(server, tmp_path_factory.mktemp("wmnt") / "mnt",
              allowed_stderr=("loaded ", "not loaded", "load ", "failed", "warning",
                                  "not a valid table file name"))
    m.start()
    os.mkdir(m.path("shop", "seeds"))
    m.dir = m.path("shop", "seeds")
    yield m
    m.stop()


def columns(server, table, schema="seeds"):
    r = server.psql("SELECT column_name, data_type FROM information_schema.columns "
                    f"WHERE table_schema = '{schema}' AND table_name = '{table}' "
                    "ORDER BY ordinal_position", dbname="shop", args=("-A", "-t", "-F", "\t"))
    return [(c, TYPE_NAMES.get(t, t)) for c, t in
            (line.split("\t") for line in r.stdout.splitlines() if line)]


def query(server, sql):
    r = server.psql(sql, dbname="shop", args=("-A", "-t", "-F", "\t"))
    return [line.split("\t") for line in r.stdout.splitlines()]


def qident(name):
    return '"' + name.replace('"', '""') + '"'


def table_rows(server, table, schema="seeds"):
    """The table's rows, sorted (None when there is no such table)."""
    if not query(server, "SELECT 1 FROM information_schema.tables "
                         f"WHERE table_schema = '{schema}' AND table_name = '{table}'"):
        return None
    return sorted(query(server, f"SELECT * FROM {qident(schema)}.{qident(table)}"))


def count(server, table, schema="seeds"):
    return int(query(server, f"SELECT count(*) FROM {qident(schema)}.{qident(table)}")[0][0])


def put(m, src, name, sidecar=None):
    """cp src into the mount as name (with an optional .seed sidecar first,
    removed afterwards: a sidecar stays in the spool for the mount's life)."""
    sc = os.path.join(m.dir, name[:-4] + ".seed")
    if sidecar is not None:
        with open(sc, "w") as f:
            f.write(sidecar)
    try:
        return subprocess.run(["cp", src, os.path.join(m.dir, name)], capture_output=True, text=True)
    finally:
        if sidecar is not None:
            os.unlink(sc)


def derived_cases():
    with open(DERIVED) as f:
        d = json.load(f)
    cases = []
    for key, exp in d.items():
        path, _, extra = key.partition(" [")
        overrides = {}
        if extra.startswith("text_columns="):
            overrides = {c: "text" for c in extra[len("text_columns="):-1].split(",")}
        cases.append(pytest.param(path, overrides, exp, id=key))
    return cases


@pytest.mark.parametrize("path,overrides,exp", derived_cases())
def test_dbt_fixture_gives_dbts_table(wm, path, overrides, exp):
    src = os.path.join(FIXTURES, path)
    name = os.path.basename(path)
    sidecar = "".join(f"column_type.{c}={t}\n" for c, t in overrides.items())
    if "pipe_separated" in name:
        sidecar += "delimiter=|\n"
    table = name[: -len(".csv")]
    before = table_rows(wm.server, table)
    r = put(wm, src, name, sidecar or None)
    if "error" in exp:
        assert r.returncode != 0, "the load must fail"
        assert "has 5 values" in r.stderr or "5 values" in open(
            os.path.join(wm.dir, name + ".error")).read()
        # A failed load changes nothing: no table when there was none, else
        # the same rows (an earlier case may have loaded this name).
        assert table_rows(wm.server, table) == before
        return
    assert r.returncode == 0, r.stderr
    assert columns(wm.server, table) == [tuple(c) for c in exp["columns"]]
    assert count(wm.server, table) == exp["rows"]
    if "nulls_per_col" in exp:
        nulls = query(wm.server, "SELECT " + ", ".join(
            f"count(*) - count({qident(c)})" for c, _ in exp["columns"]) +
            f" FROM seeds.{qident(table)}")[0] if exp["rows"] else [0] * len(exp["columns"])
        assert [int(n) for n in nulls] == exp["nulls_per_col"]


def test_seed_actual_values_match_dbts_expected_rows(wm):
    src = os.path.join(FIXTURES, "dbt-labs__dbt-adapters@802d40f/dbt-tests-adapter/simple_seed/seed_actual.csv")
    assert put(wm, src, "seed_actual.csv").returncode == 0
    with open(os.path.join(os.path.dirname(src), "seed_expected.json")) as f:
        want = json.load(f)["rows"]
    got = query(wm.server, "SELECT seed_id, coalesce(first_name, '<null>'), email, ip_address, "
                           "CAST(birthday AS VARCHAR) FROM seeds.seed_actual ORDER BY seed_id")
    assert len(got) == len(want) == 500
    for g, w in zip(got, want):
        assert [int(g[0]), None if g[1] == "<null>" else g[1], g[2], g[3], g[4]] == w
    # ...and the table reads back through the mount at once.
    with open(os.path.join(wm.dir, "seed_actual.csv")) as f:
        assert f.readline() == "seed_id,first_name,email,ip_address,birthday\n"
        assert sum(1 for _ in f) == 500


def test_overrides_and_unknown_keys(wm):
    base = os.path.join(FIXTURES, "dbt-labs__dbt-core@1.latest-defa080fb5/tests/functional/seeds")
    r = put(wm, os.path.join(base, "my_seed.csv"), "my_seed.csv",
            "column_type.id=integer\ncolumn_type.name=text\ncolumn_type.value=float\n"
            "column_type.non_existent_column=integer\n")
    assert r.returncode == 0, r.stderr
    assert [c for c, _ in columns(wm.server, "my_seed")] == ["id", "name", "value"]
    assert columns(wm.server, "my_seed")[2][1] in ("real", "float8")
    assert query(wm.server, "SELECT id, name, CAST(value AS INTEGER) FROM seeds.my_seed ORDER BY id")[0] == \
        ["1", "john", "100"]
    # dbt's own test: with delimiter ';' and unquoted column names the
    # pipe-separated seed must fail (its one "name" is not an identifier).
    src = os.path.join(FIXTURES, "dbt-labs__dbt-adapters@802d40f/dbt-tests-adapter/simple_seed/"
                                 "seed_pipe_separated.csv")
    r = put(wm, src, "pipe_wrong.csv", "delimiter=;\nquote_columns=false\n")
    assert r.returncode != 0


def test_override_naming_a_missing_column_warns_and_loads(wm):
    src = os.path.join(FIXTURES, "dbt-labs__dbt-core@1.latest-defa080fb5/tests/functional/seeds/"
                                 "mismatched_columns.csv")
    r = put(wm, src, "mismatched_columns.csv", "column_type.col_d=integer\n")
    assert r.returncode == 0, r.stderr
    assert [c for c, _ in columns(wm.server, "mismatched_columns")] == ["col_a", "col_b", "col_c"]


def test_column_quoting_keeps_case(wm):
    src = os.path.join(FIXTURES, "dbt-labs__dbt-core@1.latest-defa080fb5/tests/functional/column_quoting/seed.csv")
    assert put(wm, src, "quoting.csv").returncode == 0
    assert [c for c, _ in columns(wm.server, "quoting")] == ["col_A", "col_B"]


def test_jaffle_shop_round_trips(wm):
    for name in ("raw_customers", "raw_orders", "raw_payments"):
        src = os.path.join(FIXTURES, "dbt-labs__jaffle_shop@b0b77aa/seeds", name + ".csv")
        assert put(wm, src, name + ".csv").returncode == 0
        with open(src, newline="") as f:
            original = [ln.rstrip("\r\n") for ln in f.read().splitlines()]
        with open(os.path.join(wm.dir, name + ".csv")) as f:
            back = f.read().splitlines()
        assert back[0] == original[0]
        assert sorted(back[1:]) == sorted(original[1:])


# ---- every way of putting a file there ------------------------------------

SMALL = "id,name\n1,one\n2,two\n3,three\n"


def loaded(wm, table, rows=3):
    return count(wm.server, table) == rows


def test_copy_patterns(wm, tmp_path):
    src = tmp_path / "small.csv"
    src.write_text(SMALL)
    d = wm.dir

    def sh(cmd):
        r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"{cmd}: {r.stderr}"

    sh(f"cp '{src}' '{d}/p_cp.csv'")
    sh(f"cat '{src}' > '{d}/p_cat.csv'")
    sh(f"printf 'id,name\\n1,one\\n2,two\\n3,three\\n' > '{d}/p_redirect.csv'")
    other = tmp_path / "p_mv.csv"
    shutil.copy(src, other)
    sh(f"mv '{other}' '{d}/p_mv.csv'")
    sh(f"rsync '{src}' '{d}/p_rsync.csv'")
    sh(f"dd if='{src}' of='{d}/p_dd.csv' bs=7 status=none")
    # an editor saving through a temp file and rename (like most GUI editors)
    sh(f"cp '{src}' '{d}/.p_editor.csv.tmp' && mv '{d}/.p_editor.csv.tmp' '{d}/p_editor.csv'")
    for t in ("p_cp", "p_cat", "p_redirect", "p_mv", "p_rsync", "p_dd", "p_editor"):
        assert loaded(wm, t), t
    # sed -i edits a table in place: it reads the CSV and renames its temp file over it.
    sh(f"sed -i 's/two/TWO/' '{d}/p_cp.csv'")
    assert query(wm.server, "SELECT name FROM seeds.p_cp WHERE id = 2") == [["TWO"]]
    # Temp and hidden names live in the spool only and are never loaded.
    sh(f"cp '{src}' '{d}/.hidden.csv'; cp '{src}' '{d}/notes.txt'; cp '{src}' '{d}/backup.csv~'")
    names = os.listdir(d)
    assert ".hidden.csv" in names and "notes.txt" in names
    tables = [t for t, in query(wm.server, "SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'seeds'")]
    assert not any(t in tables for t in (".hidden", "notes", "backup.csv~", "backup"))
    with open(os.path.join(d, "notes.txt")) as f:
        assert f.read() == SMALL
    os.unlink(os.path.join(d, "notes.txt"))
    assert "notes.txt" not in os.listdir(d)


def test_files_being_written_ask_for_one_mib_writes(wm):
    """cp sizes its buffer after the destination's st_blksize: 1 MiB means one
    FUSE request per MiB instead of per 128 KiB (a third less wall time for
    the 86 MB of bench/seed's file before its load starts)."""
    path = os.path.join(wm.dir, "blk.csv")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        assert os.fstat(fd).st_blksize == 1 << 20
        assert os.stat(path).st_blksize == 1 << 20
        os.write(fd, b"id,name\n1,one\n")
    finally:
        os.close(fd)
    assert count(wm.server, "blk") == 1
    tmp = os.path.join(wm.dir, "blk.tmp")  # a spool-only name too
    with open(tmp, "w") as f:
        f.write("x")
        assert os.fstat(f.fileno()).st_blksize == 1 << 20
    os.unlink(tmp)


def test_rm_needs_allow_drop_and_ro_refuses_everything(wm, mount_factory, tmp_path):
    src = tmp_path / "small.csv"
    src.write_text(SMALL)
    assert put(wm, str(src), "keep.csv").returncode == 0
    with pytest.raises(PermissionError):
        os.unlink(os.path.join(wm.dir, "keep.csv"))
    assert loaded(wm, "keep")
    if wm.server.engine == "duckdb":
        ro = mount_factory(wm.server, opts=("ro",))
        with pytest.raises(OSError) as e:
            open(ro.path("shop", "seeds", "x.csv"), "w")
        assert e.value.errno == 30
        with pytest.raises(OSError) as e:
            os.mkdir(ro.path("shop", "newschema"))
        assert e.value.errno == 30
        # A mount keeps its start-up connection; the hostile endpoint allows
        # three for the token, and the shared mount may hold two.
        ro.stop()
        dropper = mount_factory(wm.server, opts=("allow_drop",))
        # the Parquet view of a table is not the table: only rm TABLE.csv drops
        with pytest.raises(PermissionError):
            os.unlink(dropper.path("shop", "seeds", "keep.parquet"))
        assert loaded(wm, "keep")
        os.unlink(dropper.path("shop", "seeds", "keep.csv"))
        assert "keep" not in [t for t, in query(wm.server, "SELECT table_name FROM information_schema.tables "
                                                    "WHERE table_schema = 'seeds'")]


def test_load_over_a_table_with_a_dependent_view(wm):
    """As documented: the load drops the old table with CASCADE, as dbt does.
    PostgreSQL drops the views that depend on it; DuckDB does not track
    them, so its view stays and reads the new table."""
    path = os.path.join(wm.dir, "viewed.csv")
    with open(path, "w") as f:
        f.write(SMALL)
    assert loaded(wm, "viewed")
    wm.server.psql("CREATE VIEW seeds.viewed_v AS SELECT * FROM seeds.viewed", dbname="shop")
    with open(path, "w") as f:
        f.write("id,name\n7,seven\n")
    assert loaded(wm, "viewed", rows=1)
    views = query(wm.server, "SELECT table_name FROM information_schema.views "
                             "WHERE table_schema = 'seeds' AND table_name = 'viewed_v'")
    if wm.server.engine == "postgres":
        assert views == []
    else:
        assert views == [["viewed_v"]]
        assert query(wm.server, "SELECT name FROM seeds.viewed_v") == [["seven"]]
        wm.server.psql("DROP VIEW seeds.viewed_v", dbname="shop")


# ---- bad input -------------------------------------------------------------

def fails_and_keeps_old(wm, name, data, reason):
    """Load a good table, then the bad file over it: close() fails, the error
    file says why, the old table is intact."""
    table = name[:-4]
    with open(os.path.join(wm.dir, name), "w") as f:
        f.write(SMALL)
    assert loaded(wm, table)
    path = os.path.join(wm.dir, name)
    with pytest.raises(OSError):
        with open(path, "wb") as f:
            f.write(data)
    with open(path + ".error") as f:
        text = f.read()
    assert reason in text, text
    assert query(wm.server, f"SELECT name FROM seeds.{qident(table)} ORDER BY id") == \
        [["one"], ["two"], ["three"]]


def test_bad_input_fails_through_close(wm):
    fails_and_keeps_old(wm, "b_ragged.csv", b"id,name\n1,one\n2,two,extra\n", "values")
    fails_and_keeps_old(wm, "b_utf8.csv", b"id,name\n1,caf\xe9\n", "UTF-8")
    fails_and_keeps_old(wm, "b_empty.csv", b"", "empty")
    fails_and_keeps_old(wm, "b_junk.csv", bytes(range(256)) * 64, "NUL byte")
    fails_and_keeps_old(wm, "b_huge.csv", b"id,name\n1," + b"x" * (65 * 1024 * 1024) + b"\n", "too large")


def test_repeated_header_and_nasty_names(wm):
    with open(os.path.join(wm.dir, "b_repeat.csv"), "w") as f:
        f.write("x,x,,x\n1,2,3,4\n")
    assert [c for c, _ in columns(wm.server, "b_repeat")] == ["x", "x_2", "c", "x_3"]
    nasty = 'we"ird; DROP TABLE seeds.keep; ünï'
    with open(os.path.join(wm.dir, nasty + ".csv"), "w") as f:
        f.write('a"b;c,ü\n1,2\n')
    assert count(wm.server, nasty) == 1
    assert [c for c, _ in columns(wm.server, nasty)] == ['a"b;c', "ü"]
    assert nasty + ".csv" in os.listdir(wm.dir)


def test_error_file_clears_after_a_good_load(wm):
    path = os.path.join(wm.dir, "b_fix.csv")
    with pytest.raises(OSError):
        with open(path, "w") as f:
            f.write("id,name\n1,one,extra\n")
    assert os.path.exists(path + ".error")
    with open(path, "w") as f:
        f.write(SMALL)
    assert not os.path.exists(path + ".error")
    assert loaded(wm, "b_fix")


def test_a_failed_new_tables_name_can_be_written_again_or_removed(wm, tmp_path):
    """The kernel keeps names for cache_timeout: a new table's name whose
    first load failed, and the source of a rename whose load failed, are
    still names to it, which with default_permissions it checks by getattr
    before any open. They show as empty files (fs/ghosts.h): not listed, no
    table to read, written again (cp, >) they load, rm removes them."""
    path = os.path.join(wm.dir, "g_new.csv")
    with pytest.raises(OSError):
        with open(path, "w") as f:
            f.write("id,name\n1,one,extra\n")
    # Its spooled file shows until the release that follows close().
    tb.wait_for(lambda: "g_new.csv" not in os.listdir(wm.dir), 30, "the failed file to leave the spool")
    assert "g_new.csv.error" in os.listdir(wm.dir)
    assert os.path.isfile(path) and os.stat(path).st_size == 0
    with pytest.raises(FileNotFoundError):
        open(path).close()
    os.unlink(path)
    assert not os.path.exists(path)
    # Written again after a failure, with cp and with the shell's `>`.
    with pytest.raises(OSError):
        with open(path, "w") as f:
            f.write("id,name\n1,one,extra\n")
    src = tmp_path / "good.csv"
    src.write_text(SMALL)
    assert put(wm, str(src), "g_new.csv").returncode == 0
    assert loaded(wm, "g_new")
    bad = os.path.join(wm.dir, "g_sh.csv")
    subprocess.run(["bash", "-c", f"printf 'id,name\\n1,one,extra\\n' > '{bad}'"])  # bash ignores close()
    assert os.path.exists(bad + ".error")
    assert subprocess.run(["bash", "-c", f"cat '{src}' > '{bad}'"]).returncode == 0
    assert loaded(wm, "g_sh")
    # The source of a rename whose load failed (an editor's temporary file).
    tmp = os.path.join(wm.dir, "g_edit.tmp")
    with open(tmp, "w") as f:
        f.write("id,name\n1,one,extra\n")
    with pytest.raises(OSError):
        os.rename(tmp, os.path.join(wm.dir, "g_ren.csv"))
    with open(tmp, "w") as f:
        f.write(SMALL)
    os.rename(tmp, os.path.join(wm.dir, "g_ren.csv"))
    assert loaded(wm, "g_ren")


def replied_to_every_release(m):
    """In a `-o debug` log: every RELEASE libfuse received has been answered
    (libfuse writes "unique: N, success, ..." as it replies)."""
    log = m.stderr()
    ids = re.findall(r"unique: (\d+), opcode: RELEASE ", log)
    return bool(ids) and all(re.search(rf"unique: {i}, (success|error)", log) for i in ids)


@default_profile_only("md")
@pytest.mark.parametrize("how", ["loaded", "rewrite_failed"])
def test_a_table_dropped_elsewhere_is_gone(md, mount_factory, how):
    """Only a name with nothing behind it is a ghost (fs/ghosts.h): a table
    made by a write through the mount (loaded), or an existing one whose
    rewrite failed (the old table stays behind the name), dropped by
    another client, is ENOENT to the next stat, not an empty file (which
    each stat would keep for another cache_timeout)."""
    schema = "g" + how.replace("_", "")
    md.psql(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}" +
            (f"; CREATE TABLE {schema}.t AS SELECT 1 AS id" if how == "rewrite_failed" else ""),
            dbname="shop")
    # FUSE's debug lines take every form: the fixture lets all lines through.
    m = mount_factory(md, opts=("cache_timeout=1", "debug"), allowed_stderr=("",))
    path = m.path("shop", schema, "t.csv")
    f = open(path, "w")
    if how == "loaded":
        f.write(SMALL)
        f.close()
    else:
        with pytest.raises(OSError) as e:
            f.close()  # empty: refused, the old table kept
        assert e.value.errno == errno.EINVAL
    # close() loaded it (or failed); the release that follows takes the spool
    # away. Nothing through the mount until the stat below: no listing or
    # attributes cached.
    tb.wait_for(lambda: replied_to_every_release(m), 30, "the written file's release")
    assert count(md, "t", schema=schema) == (3 if how == "loaded" else 1)
    md.psql(f"DROP TABLE {schema}.t", dbname="shop")
    with pytest.raises(FileNotFoundError):
        os.stat(path)
    assert "t.csv" not in os.listdir(m.path("shop", schema))


def test_endpoint_stopped_mid_load_keeps_the_old_table(own_standin, mount_factory, tmp_path):
    s = own_standin
    m = mount_factory(s, allowed_stderr=("loaded ", "not loaded", "load ", "failed", "connection", "server closed",
                                         "EOF", "SSL", "Connection refused"))
    os.mkdir(m.path("shop", "kill"))
    d = m.path("shop", "kill")
    with open(os.path.join(d, "big.csv"), "w") as f:
        f.write(SMALL)
    big = tmp_path / "big.csv"
    with open(big, "w") as f:
        f.write("id,name\n")
        for i in range(2_000_000):
            f.write(f"{i},name number {i}\n")
    before = s.handle.stats()["queries_total"]
    cp = subprocess.Popen(["cp", str(big), os.path.join(d, "big.csv")], stderr=subprocess.PIPE, text=True)
    # Kill the endpoint once the load's inserts are under way.
    tb.wait_for(lambda: cp.poll() is not None or s.handle.stats()["queries_total"] >= before + 6, 60,
                "the load to start inserting")
    port, control = s.handle.port, s.handle.control_port
    s.handle.kill()
    assert cp.wait(60) != 0
    s.handle.start(port, control)
    assert query(s, "SELECT name FROM kill.big ORDER BY id") == [["one"], ["two"], ["three"]]


def _rows_file(path, tag, n):
    with open(path, "w") as f:
        f.write("id,name\n")
        for i in range(n):
            f.write(f"{i},{tag}{i}\n")
    return sorted([str(i), f"{tag}{i}"] for i in range(n))


def test_two_writers_and_a_reader_never_mix(wm, tmp_path):
    """A slow writer (paused mid-file by the test), a reader and a fast `cp` of
    one table: the reader sees the table, never the writer's bytes, and loads
    nothing; the table ends equal to one whole file; the loser's close() fails
    with a clear error."""
    import threading
    path = os.path.join(wm.dir, "iso.csv")
    old = _rows_file(tmp_path / "old.csv", "old", 3)
    assert put(wm, str(tmp_path / "old.csv"), "iso.csv").returncode == 0
    assert table_rows(wm.server, "iso") == old
    a_rows = _rows_file(tmp_path / "a.csv", "aaa", 20000)
    b_rows = _rows_file(tmp_path / "b.csv", "bbb", 5000)
    a_data = (tmp_path / "a.csv").read_bytes()
    half, resume, done = threading.Event(), threading.Event(), {}

    def slow_writer():
        try:
            f = open(path, "wb", buffering=0)
            f.write(a_data[:len(a_data) // 2])
            half.set()
            assert resume.wait(60)
            f.write(a_data[len(a_data) // 2:])
            f.close()
            done["rc"] = 0
        except OSError as e:
            done["rc"] = e
        finally:
            half.set()

    t = threading.Thread(target=slow_writer)
    t.start()
    try:
        assert half.wait(60)
        # A reader during the write: the table's bytes, and no load.
        r = subprocess.run(["head", "-c", "10"], stdin=open(path, "rb"), capture_output=True)
        assert r.returncode == 0
        assert r.stdout.startswith(b"id,name\n") and b"aaa" not in r.stdout
        r = subprocess.run(["cat", path], capture_output=True)
        assert b"aaa" not in r.stdout and b"old0" in r.stdout
        assert table_rows(wm.server, "iso") == old
        # A fast writer meanwhile loads its own whole file.
        r = put(wm, str(tmp_path / "b.csv"), "iso.csv")
        assert r.returncode == 0, r.stderr
        assert table_rows(wm.server, "iso") == b_rows
    finally:
        resume.set()
        t.join(60)
    # The slow writer lost: its close() says so; the table is B's, whole.
    assert isinstance(done.get("rc"), OSError), done
    assert table_rows(wm.server, "iso") == b_rows
    # A writer that starts after the other finished wins, whole.
    assert put(wm, str(tmp_path / "a.csv"), "iso.csv").returncode == 0
    assert table_rows(wm.server, "iso") == a_rows


def test_every_write_loads_or_says_why(wm, mount_factory, tmp_path):
    """Issue 10 item 4: a name that can never load is refused at create; an
    empty file over a table fails close() and keeps the table; files under
    spool-only names count against spool_max."""
    src = tmp_path / "small.csv"
    src.write_text(SMALL)
    # 'pct%sign' is not a valid encoding ('%' must be written %25).
    with pytest.raises(OSError) as e:
        open(os.path.join(wm.dir, "pct%sign.csv"), "w")
    assert e.value.errno == 22
    r = subprocess.run(["cp", str(src), os.path.join(wm.dir, "pct%sign.csv")], capture_output=True)
    assert r.returncode != 0
    assert "pct%sign.csv" not in os.listdir(wm.dir)
    # ... while its valid encoding loads table 'pct%sign'.
    assert put(wm, str(src), "pct%25sign.csv").returncode == 0
    assert loaded(wm, "pct%sign")
    # An empty file written over a table: close() fails, the table stays.
    assert put(wm, str(src), "e_keep.csv").returncode == 0
    path = os.path.join(wm.dir, "e_keep.csv")
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    with pytest.raises(OSError):
        os.close(fd)
    assert loaded(wm, "e_keep")
    subprocess.run(["bash", "-c", f": > '{path}'"], capture_output=True)
    with open(path + ".error") as f:
        assert "empty" in f.read()
    assert loaded(wm, "e_keep")
    # Spool-only names: at most spool_max (1 MB) together.
    small = mount_factory(wm.server, opts=("spool_max=1",),
                          allowed_stderr=("spool_max", "failed", "warning"))
    d = small.path("shop", "seeds")
    with open(os.path.join(d, "a.tmp"), "wb") as f:
        f.write(b"x" * 700_000)
    with pytest.raises(OSError) as e:
        with open(os.path.join(d, "b.tmp"), "wb") as f:
            f.write(b"x" * 700_000)
    assert e.value.errno == 28
    os.unlink(os.path.join(d, "b.tmp"))
    os.unlink(os.path.join(d, "a.tmp"))
    with open(os.path.join(d, "c.tmp"), "wb") as f:   # freed again
        f.write(b"x" * 700_000)
    os.unlink(os.path.join(d, "c.tmp"))
    # A removed file's bytes count until its last handle goes, and the kernel
    # sends that RELEASE after close() has returned (so `rm a.tmp b.tmp; cp
    # … c.tmp` once got ENOSPC): a write past spool_max first waits (briefly)
    # for removed files' last handles. Here the handle goes 0.3 s later.
    held = os.open(os.path.join(d, "h.tmp"), os.O_WRONLY | os.O_CREAT, 0o644)
    assert os.write(held, b"x" * 700_000) == 700_000
    os.unlink(os.path.join(d, "h.tmp"))
    timer = threading.Timer(0.3, os.close, (held,))
    timer.start()
    try:
        with open(os.path.join(d, "c.tmp"), "wb") as f:
            f.write(b"x" * 700_000)
    finally:
        timer.join()
    os.unlink(os.path.join(d, "c.tmp"))
