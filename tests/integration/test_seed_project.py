"""`mdfs seed --project DIR`: a dbt project made here, loaded on both servers
through a `postgres` and a `duckdb` (path: md:DB) profile target; tables,
schemas, types and values as dbt-postgres would create them
(../shared/docs/dbt-seeds.md)."""
import os
import re
import subprocess
import textwrap

import pytest

from conftest import build_path
from test_mount_write import columns, query

SCHEMA = "dbtp"


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))


def profiles(server, schema=SCHEMA):
    """Both kinds of target, pointing at the test server. The duckdb target
    reaches it through -o host/port/sslrootcert (a duckdb profile has no host)."""
    port = server.handle.port
    return f"""\
        shop:
          target: pg
          outputs:
            pg:
              type: postgres
              host: 127.0.0.1
              port: {port}
              user: postgres
              password: "{{{{ env_var('MDFS_T_PASSWORD') }}}}"
              dbname: shop
              schema: "{{{{ env_var('MDFS_T_SCHEMA', '{schema}') }}}}"
              sslmode: verify-full
              sslrootcert: {server.ca}
              threads: 3
            md:
              type: duckdb
              path: "md:{{{{ env_var('MDFS_T_DB') }}}}"
              schema: {schema}
        """


def make_project(root, server):
    write(root, "dbt_project.yml", """\
        name: shop
        profile: shop
        seed-paths: ["seeds"]
        seeds:
          shop:
            +column_types:
              code: text
            raw:
              +schema: raw
              +column_types:
                big: bigint
              orders:
                +alias: all_orders
                +delimiter: "|"
            legacy:
              +enabled: false
        """)
    write(root, "seeds/raw/orders.csv", "id|code|big|day\n1|007|5|2020-01-05\n2|010||2020-02-29\n")
    write(root, "seeds/raw/customers.csv", "id,code,big,name\n1,001,1,Ann\n2,,2,Bob\n")
    write(root, "seeds/countries.csv", "code,name,pop\n01,Aland,0.5\n02,Bhutan,1\n")
    write(root, "seeds/legacy/old.csv", "x\n1\n")
    # A property file overrides the project file (models/ is searched too).
    write(root, "models/props.yml", """\
        version: 2
        models:
          - name: m
            description: "{{ doc('m') }}"
        seeds:
          - name: customers
            config:
              column_types: {id: bigint}
        """)
    write(root, "profiles.yml", profiles(server))


def run_project(server, root, *args, env_extra=None, target="pg"):
    argv = [build_path("fs", "mdfs"), "seed", "--project", str(root), "--target", target, *args]
    if target == "md":
        argv += ["-o", f"host=127.0.0.1,port={server.handle.port},sslrootcert={server.ca}"]
    env = dict(os.environ, MDFS_T_PASSWORD=server.token, MDFS_T_DB="shop")
    for k in ("PGPASSWORD", "MOTHERDUCK_TOKEN", "motherduck_token", "MDFS_T_SCHEMA", "DBT_PROFILES_DIR"):
        env.pop(k, None)
    if target == "md":
        env["MOTHERDUCK_TOKEN"] = server.token
    env.update(env_extra or {})
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)


def reset(server):
    server.psql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; DROP SCHEMA IF EXISTS {SCHEMA}_raw CASCADE; "
                "DROP SCHEMA IF EXISTS other CASCADE; DROP SCHEMA IF EXISTS other_raw CASCADE",
                dbname="shop")


def tables(server, schema):
    return [r[0] for r in query(server, "SELECT table_name FROM information_schema.tables "
                                        f"WHERE table_schema = '{schema}' ORDER BY 1")]


@pytest.mark.parametrize("target", ["pg", "md"])
def test_project_like_dbt(server, tmp_path, target):
    reset(server)
    make_project(tmp_path, server)
    r = run_project(server, tmp_path, "--full-refresh", target=target)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    ok = sorted(l for l in lines if " OK loaded seed file " in l)
    assert len(ok) == 3, r.stdout
    assert re.search(r"^\d of 3 OK loaded seed file dbtp_raw\.all_orders \[INSERT 2 in \d+\.\d\ds\]$",
                     r.stdout, re.M), r.stdout
    assert "Done. PASS=3 WARN=0 ERROR=0 SKIP=0 TOTAL=3" in r.stdout
    # +schema gives <target schema>_<custom>; +alias names the table; disabled: no table
    assert tables(server, SCHEMA) == ["countries"]
    assert tables(server, f"{SCHEMA}_raw") == ["all_orders", "customers"]
    # project-level column_types (code), folder-level (big), +delimiter
    assert columns(server, "all_orders", f"{SCHEMA}_raw") == [
        ("id", "integer"), ("code", "text"), ("big", "bigint"), ("day", "date")]
    assert query(server, f"SELECT id, code, big, day FROM {SCHEMA}_raw.all_orders ORDER BY id") == [
        ["1", "007", "5", "2020-01-05"], ["2", "010", "", "2020-02-29"]]
    # the property file's id: bigint beside the project's code: text
    assert columns(server, "customers", f"{SCHEMA}_raw") == [
        ("id", "bigint"), ("code", "text"), ("big", "bigint"), ("name", "text")]
    assert query(server, f"SELECT code FROM {SCHEMA}_raw.customers ORDER BY id") == [["001"], [""]]
    assert columns(server, "countries", SCHEMA) == [("code", "text"), ("name", "text"), ("pop", "float8")]
    assert [(c, float(p)) for c, p in query(server, f"SELECT code, pop FROM {SCHEMA}.countries ORDER BY code")] == [
        ("01", 0.5), ("02", 1.0)]


def test_select_exclude_and_env_var_default(server, tmp_path):
    reset(server)
    make_project(tmp_path, server)
    # env_var with a default: MDFS_T_SCHEMA set overrides the profile's default schema
    r = run_project(server, tmp_path, "--select", "countries", "shop.raw.orders",
                    "--exclude", "customers", "--full-refresh", env_extra={"MDFS_T_SCHEMA": "other"})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "TOTAL=2" in r.stdout
    assert tables(server, "other") == ["countries"]
    assert tables(server, "other_raw") == ["all_orders"]
    assert tables(server, SCHEMA) == []
    # a folder selects what is under it
    r = run_project(server, tmp_path, "--select", "shop.raw", "--full-refresh")
    assert r.returncode == 0, r.stdout + r.stderr
    assert tables(server, f"{SCHEMA}_raw") == ["all_orders", "customers"]
    assert tables(server, SCHEMA) == []


def test_env_var_without_default_and_token(server, tmp_path):
    make_project(tmp_path, server)
    r = run_project(server, tmp_path, env_extra={"MDFS_T_PASSWORD": "wrong"}, target="pg")
    assert r.returncode != 0
    assert "wrong" not in r.stdout + r.stderr
    env = {k: v for k, v in os.environ.items() if k != "MDFS_T_PASSWORD"}
    argv = [build_path("fs", "mdfs"), "seed", "--project", str(tmp_path)]
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert re.search(r"profiles\.yml:9: Env var required but not provided: 'MDFS_T_PASSWORD'", r.stderr), r.stderr
    # a token written in the file is refused, without showing it
    write(tmp_path, "profiles.yml", profiles(server).replace(
        "\"{{ env_var('MDFS_T_PASSWORD') }}\"", "literal-secret"))
    r = run_project(server, tmp_path)
    assert r.returncode == 1
    assert "password must be {{ env_var('NAME') }}" in r.stderr and "literal-secret" not in r.stderr


def test_jinja_refused_with_file_and_line(server, tmp_path):
    make_project(tmp_path, server)
    with open(tmp_path / "dbt_project.yml", "a") as f:
        f.write("      +alias: \"{{ target.name ~ '_x' }}\"\n")
    r = run_project(server, tmp_path)
    assert r.returncode == 1
    assert re.search(r"dbt_project\.yml:17: mdfs does not run Jinja", r.stderr), r.stderr
    write(tmp_path, "dbt_project.yml", "name: shop\nprofile: shop\nseeds: [unclosed\n")
    r = run_project(server, tmp_path)
    assert r.returncode == 1 and re.search(r"dbt_project\.yml:\d+: ", r.stderr), r.stderr


def test_a_failed_seed_fails_the_run_and_others_load(server, tmp_path):
    reset(server)
    make_project(tmp_path, server)
    write(tmp_path, "seeds/bad.csv", "a,b\n1,2,3\n")
    r = run_project(server, tmp_path, "--full-refresh", "--threads", "2")
    assert r.returncode == 1
    assert re.search(r"^\d of 4 ERROR loading seed file dbtp\.bad \[ERROR in [\d.]+s\] .*3 values", r.stdout,
                     re.M), r.stdout
    assert "Done. PASS=3 WARN=0 ERROR=1 SKIP=0 TOTAL=4" in r.stdout
    assert tables(server, SCHEMA) == ["countries"]


# ---- dbt's default semantics: truncate an existing table, keep its types ----

def hand_made(server, ddl_and_rows):
    server.psql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}; {ddl_and_rows}",
                dbname="shop")


def test_truncate_keeps_a_column_declared_bigint_by_hand(server, tmp_path):
    make_project(tmp_path, server)
    write(tmp_path, "seeds/nums.csv", "id,v\n1,a\n2,b\n")
    hand_made(server, f"CREATE TABLE {SCHEMA}.nums (id bigint, v text); "
                      f"INSERT INTO {SCHEMA}.nums VALUES (7, 'old'), (8, 'old'), (9, 'old')")
    r = run_project(server, tmp_path, "--select", "nums")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 of 1 OK loaded seed file dbtp.nums [INSERT 2 in" in r.stdout
    assert columns(server, "nums", SCHEMA) == [("id", "bigint"), ("v", "text")]
    assert query(server, f"SELECT id, v FROM {SCHEMA}.nums ORDER BY id") == [["1", "a"], ["2", "b"]]
    # columns in another order: matched by name
    write(tmp_path, "seeds/nums.csv", "v,id\nc,3\n")
    r = run_project(server, tmp_path, "--select", "nums")
    assert r.returncode == 0, r.stdout + r.stderr
    assert query(server, f"SELECT id, v FROM {SCHEMA}.nums ORDER BY id") == [["3", "c"]]
    # --full-refresh (or +full_refresh: true) drops it and creates the inferred types
    r = run_project(server, tmp_path, "--select", "nums", "--full-refresh")
    assert r.returncode == 0, r.stdout + r.stderr
    assert columns(server, "nums", SCHEMA) == [("v", "text"), ("id", "integer")]


def test_truncate_a_value_that_does_not_fit_leaves_the_table(server, tmp_path):
    make_project(tmp_path, server)
    write(tmp_path, "seeds/nums.csv", "id,v\n1,2\n2,not-a-number\n")
    hand_made(server, f"CREATE TABLE {SCHEMA}.nums (id bigint, v integer); "
                      f"INSERT INTO {SCHEMA}.nums VALUES (7, 70)")
    r = run_project(server, tmp_path, "--select", "nums")
    assert r.returncode == 1
    assert "ERROR loading seed file dbtp.nums" in r.stdout
    assert query(server, f"SELECT id, v FROM {SCHEMA}.nums") == [["7", "70"]]


def test_truncate_with_other_column_names_fails_with_the_hint(server, tmp_path):
    make_project(tmp_path, server)
    write(tmp_path, "seeds/nums.csv", "id,w\n1,a\n")
    write(tmp_path, "dbt_project.yml", open(tmp_path / "dbt_project.yml").read() +
          "    nums:\n      +full_refresh: false\n")
    hand_made(server, f"CREATE TABLE {SCHEMA}.nums (id bigint, v text); "
                      f"INSERT INTO {SCHEMA}.nums VALUES (7, 'old')")
    r = run_project(server, tmp_path, "--select", "nums")
    assert r.returncode == 1
    assert "--full-refresh" in r.stdout, r.stdout
    assert query(server, f"SELECT id, v FROM {SCHEMA}.nums") == [["7", "old"]]
    # +full_refresh: false wins over the flag, as in dbt
    r = run_project(server, tmp_path, "--select", "nums", "--full-refresh")
    assert r.returncode == 1
    write(tmp_path, "dbt_project.yml", open(tmp_path / "dbt_project.yml").read().replace(
        "+full_refresh: false", "+full_refresh: true"))
    r = run_project(server, tmp_path, "--select", "nums")
    assert r.returncode == 0, r.stdout + r.stderr
    assert columns(server, "nums", SCHEMA) == [("id", "integer"), ("w", "text")]


def test_mount_sidecar_full_refresh_false_truncates(server, mount_factory, tmp_path):
    hand_made(server, f"CREATE TABLE {SCHEMA}.nums (id bigint, v text); "
                      f"INSERT INTO {SCHEMA}.nums VALUES (7, 'old')")
    m = mount_factory(server, allowed_stderr=("loaded ", "not loaded", "load ", "failed", "warning"))
    d = m.path("shop", SCHEMA)
    src = tmp_path / "nums.csv"
    src.write_text("id,v\n1,a\n")
    with open(os.path.join(d, "nums.seed"), "w") as f:
        f.write("full_refresh=false\n")
    r = subprocess.run(["cp", str(src), os.path.join(d, "nums.csv")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert columns(server, "nums", SCHEMA) == [("id", "bigint"), ("v", "text")]
    assert query(server, f"SELECT id, v FROM {SCHEMA}.nums") == [["1", "a"]]
    # other names: close() fails, the reason names --full-refresh, the table stays
    src.write_text("id,w\n2,b\n")
    r = subprocess.run(["cp", str(src), os.path.join(d, "nums.csv")], capture_output=True, text=True)
    assert r.returncode != 0
    with open(os.path.join(d, "nums.csv.error")) as f:
        assert "--full-refresh" in f.read()
    assert query(server, f"SELECT id, v FROM {SCHEMA}.nums") == [["1", "a"]]
    # without the sidecar line: the mount's full refresh
    os.unlink(os.path.join(d, "nums.seed"))
    r = subprocess.run(["cp", str(src), os.path.join(d, "nums.csv")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert columns(server, "nums", SCHEMA) == [("id", "integer"), ("w", "text")]
