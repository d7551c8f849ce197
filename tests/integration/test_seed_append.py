"""`>>` through a real mount (issue 12 item 3), on both servers and the
hostile stand-in: the written rows are added to the existing table at
close(), in one transaction, converted to its column types; a first line
equal to the table's header is skipped; a bad row fails close(), says why in
NAME.csv.error and leaves the table as it was; `>>` to a missing table is a
new seed; concurrent appends all apply."""
import errno
import os
import subprocess
import threading

import pytest

from conftest import SERVER_IDS, Mount, server_for
from test_mount_write import columns, query

SCHEMA = "appends"


@pytest.fixture(scope="module", params=SERVER_IDS)
def am(request, tmp_path_factory):
    server = server_for(request, request.param)
    server.psql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}", dbname="shop")
    m = Mount(server, tmp_path_factory.mktemp("amnt") / "mnt",
              allowed_stderr=("loaded ", "not loaded", "load ", "load:", "failed"))
    m.start()
    m.dir = m.path("shop", SCHEMA)
    yield m
    m.stop()


def make_table(m, name):
    """A table made by hand with types inference would not pick (bigint, a
    text column of digits), and one row."""
    m.server.psql(f"DROP TABLE IF EXISTS {SCHEMA}.{name}; "
                  f"CREATE TABLE {SCHEMA}.{name} (id bigint, code text, day date, ok boolean); "
                  f"INSERT INTO {SCHEMA}.{name} VALUES (1, '001', '2024-01-01', true)", dbname="shop")


def rows(m, name):
    return query(m.server, f"SELECT id, code, CAST(day AS text), CAST(ok AS text) FROM {SCHEMA}.{name} "
                           "ORDER BY id")


def types(m, name):
    return [t for _, t in columns(m.server, name, SCHEMA)]


def shell(cmd, cwd):
    return subprocess.run(["bash", "-c", cmd], cwd=cwd, capture_output=True, text=True, timeout=120)


def truthy(v):
    return v in ("true", "t")


def test_append_without_and_with_header(am, tmp_path):
    make_table(am, "ev")
    before = types(am, "ev")
    (tmp_path / "a.csv").write_text("2,002,2024-01-02,True\n3,,2024-01-03,false\n")
    r = shell(f"cat {tmp_path}/a.csv >> ev.csv", am.dir)
    assert r.returncode == 0, r.stderr
    (tmp_path / "b.csv").write_text("id,code,day,ok\n4,004,2024-01-04,\n")
    r = shell(f"cat {tmp_path}/b.csv >> ev.csv", am.dir)
    assert r.returncode == 0, r.stderr
    got = rows(am, "ev")
    assert [g[0] for g in got] == ["1", "2", "3", "4"]
    # dbt's reading rules: 002 is read as the number 2, then cast to the
    # table's text column; an empty field is NULL; True is a boolean.
    assert got[1][1] == "2" and got[2][1] == "" and got[3][1] == "4"
    assert got[1][2] == "2024-01-02" and truthy(got[1][3]) and got[3][3] == ""
    assert types(am, "ev") == before  # the table's own types are kept
    assert not os.path.exists(os.path.join(am.dir, "ev.csv.error"))


def test_a_bad_row_rolls_back_and_fails_close(am, tmp_path):
    make_table(am, "bad")
    before = rows(am, "bad")
    f = open(os.path.join(am.dir, "bad.csv"), "a")
    f.write("2,x,2024-01-02,true\n3,y,not-a-date,true\n")
    with pytest.raises(OSError) as e:
        f.close()
    assert e.value.errno in (errno.EINVAL, errno.EIO), e.value
    assert rows(am, "bad") == before
    with open(os.path.join(am.dir, "bad.csv.error")) as ef:
        text = ef.read()
    assert "not loaded" in text and "bad" in text
    # The shell's way: the command fails too; a good append then clears the error.
    (tmp_path / "w.csv").write_text("9,z,2024-01-09,maybe\n")
    assert shell(f"cat {tmp_path}/w.csv >> bad.csv", am.dir).returncode != 0
    assert rows(am, "bad") == before
    (tmp_path / "g.csv").write_text("2,x,2024-01-02,true\n")
    assert shell(f"cat {tmp_path}/g.csv >> bad.csv", am.dir).returncode == 0
    assert len(rows(am, "bad")) == 2
    assert not os.path.exists(os.path.join(am.dir, "bad.csv.error"))


def test_too_many_values_fail_and_header_of_another_table_is_a_row(am, tmp_path):
    make_table(am, "wide")
    before = rows(am, "wide")
    r = shell("env printf '2,a,2024-01-02,true,extra\\n' >> wide.csv", am.dir)
    assert r.returncode != 0
    assert "5 values" in open(os.path.join(am.dir, "wide.csv.error")).read()
    # A header that is not the table's is data: here it cannot be cast.
    r = shell("env printf 'code,id,day,ok\\n5,e,2024-01-05,true\\n' >> wide.csv", am.dir)
    assert r.returncode != 0
    assert rows(am, "wide") == before


def test_append_to_a_missing_table_is_a_new_seed(am, tmp_path):
    am.server.psql(f"DROP TABLE IF EXISTS {SCHEMA}.fresh", dbname="shop")
    r = shell("env printf 'id,name\\n1,one\\n2,two\\n' >> fresh.csv", am.dir)
    assert r.returncode == 0, r.stderr
    assert query(am.server, f"SELECT id, name FROM {SCHEMA}.fresh ORDER BY id") == [["1", "one"], ["2", "two"]]
    assert types(am, "fresh") == ["integer", "text"]


def test_append_to_a_view_is_refused(am):
    am.server.psql(f"CREATE OR REPLACE VIEW {SCHEMA}.v AS SELECT 1 AS id", dbname="shop")
    with pytest.raises(PermissionError):
        open(os.path.join(am.dir, "v.csv"), "a")


def test_concurrent_appends_all_apply(am, tmp_path):
    """Each `>>` has a spool of its own: two writers open at once both add
    their rows (one transaction each, in close order); a reader meanwhile
    reads the table as it was."""
    make_table(am, "many")
    files = [open(os.path.join(am.dir, "many.csv"), "a") for _ in range(2)]
    files[0].write("10,a,2024-02-01,true\n")
    files[1].write("id,code,day,ok\n20,b,2024-02-02,false\n")
    files[0].write("11,a,2024-02-01,true\n")
    with open(os.path.join(am.dir, "many.csv")) as rd:
        assert rd.read().count("\n") == 2  # header + the one row
    errs = []

    def close(f):
        try:
            f.close()
        except OSError as e:
            errs.append(e)
    ts = [threading.Thread(target=close, args=(f,)) for f in files]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert not errs
    assert [r[0] for r in rows(am, "many")] == ["1", "10", "11", "20"]


def test_a_large_append_streams_in_batches_and_rolls_back(am, tmp_path):
    """Above 1,000 rows the rows stream in batches (COPY or INSERTs), still
    one transaction: a bad last row leaves the table as it was."""
    make_table(am, "big")
    body = "".join(f"{i},c{i},2024-03-01,{'true' if i % 2 else 'false'}\n" for i in range(2, 3002))
    (tmp_path / "bad.csv").write_text("id,code,day,ok\n" + body + "3002,x,2024-13-45,true\n")
    assert shell(f"cat {tmp_path}/bad.csv >> big.csv", am.dir).returncode != 0
    assert len(rows(am, "big")) == 1
    (tmp_path / "good.csv").write_text(body)
    r = shell(f"cat {tmp_path}/good.csv >> big.csv", am.dir)
    assert r.returncode == 0, r.stderr
    assert query(am.server, f"SELECT count(*), max(id) FROM {SCHEMA}.big") == [["3001", "3001"]]
