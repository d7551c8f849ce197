"""`mdfs seed`: the mount's loader without a mount, on both servers: several
files at once, one summary line per table, non-zero exit when any file
failed, and never a partial table."""
import os
import subprocess

from conftest import build_path
from test_mount_write import FIXTURES, columns, count, query

JAFFLE = os.path.join(FIXTURES, "dbt-labs__jaffle_shop@b0b77aa", "seeds")


def mdfs_seed(server, *args, schema="seedcmd"):
    argv = [build_path("fs", "mdfs"), "seed", "--source", server.dsn("shop"), "--schema", schema, *args]
    env = dict(os.environ, MOTHERDUCK_TOKEN=server.token)
    env.pop("PGPASSWORD", None)
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)


def test_several_files_one_summary_each(server):
    server.psql("DROP SCHEMA IF EXISTS seedcmd CASCADE; CREATE SCHEMA seedcmd", dbname="shop")
    files = [os.path.join(JAFFLE, f"raw_{n}.csv") for n in ("customers", "orders", "payments")]
    r = mdfs_seed(server, *files)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("seedcmd.raw_customers: 100 rows, 3 columns")
    assert lines[1].startswith("seedcmd.raw_orders: 99 rows, 4 columns")
    assert lines[2].startswith("seedcmd.raw_payments: 113 rows, 4 columns")
    assert columns(server, "raw_orders", "seedcmd")[2] == ("order_date", "date")


def test_a_failed_file_fails_the_command_and_leaves_no_partial_table(server, tmp_path):
    server.psql("DROP SCHEMA IF EXISTS seedcmd CASCADE; CREATE SCHEMA seedcmd", dbname="shop")
    good = tmp_path / "good.csv"
    good.write_text("id,name\n1,one\n")
    bad = tmp_path / "good2.csv"
    # A cast that fails only at the end of the file: the load must roll back.
    bad.write_text("id,v\n" + "".join(f"{i},{i}\n" for i in range(20000)) + "20000,not-a-number\n")
    assert mdfs_seed(server, str(bad), "--column-type", "v=integer").returncode != 0
    r = mdfs_seed(server, str(good), str(bad), "--column-type", "v=integer")
    assert r.returncode != 0
    assert r.stdout.startswith("seedcmd.good: 1 rows")
    assert "good2" in r.stderr
    assert count(server, "good", "seedcmd") == 1
    assert query(server, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'seedcmd' "
                         "AND table_name = 'good2'") == [["0"]]


def test_options_like_dbt(server, tmp_path):
    server.psql("DROP SCHEMA IF EXISTS seedcmd CASCADE; CREATE SCHEMA seedcmd", dbname="shop")
    pipe = tmp_path / "piped.csv"
    pipe.write_text("id|code\n1|007\n2|010\n")
    r = mdfs_seed(server, "--delimiter", "|", "--column-type", "code=text", str(pipe))
    assert r.returncode == 0, r.stderr
    assert query(server, "SELECT code FROM seedcmd.piped ORDER BY id") == [["007"], ["010"]]
    r = mdfs_seed(server, "--no-quote-columns", str(tmp_path / "missing.csv"))
    assert r.returncode != 0 and "missing.csv" in r.stderr


def test_interrupt_between_files_fails_and_names_what_was_not_loaded(server, tmp_path):
    """Ctrl-C after one file loaded and before the next: exit non-zero and
    say which files were not loaded (never a silent 0)."""
    import fcntl
    import signal
    import threading
    import time
    server.psql("DROP SCHEMA IF EXISTS seedcmd CASCADE; CREATE SCHEMA seedcmd", dbname="shop")
    files = []
    for name in ("first", "second", "third"):
        f = tmp_path / f"{name}.csv"
        f.write_text("id\n1\n")
        files.append(str(f))
    # stdout is a full pipe: the first file's summary line blocks in write(),
    # which is where the interrupt then arrives.
    rfd, wfd = os.pipe()
    os.set_blocking(wfd, False)
    try:
        while True:
            os.write(wfd, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(wfd, True)
    argv = [build_path("fs", "mdfs"), "seed", "--source", server.dsn("shop"), "--schema", "seedcmd", *files]
    env = dict(os.environ, MOTHERDUCK_TOKEN=server.token)
    env.pop("PGPASSWORD", None)
    p = subprocess.Popen(argv, env=env, stdout=wfd, stderr=subprocess.PIPE, text=True)
    os.close(wfd)
    try:
        def writing_stdout():
            with open(f"/proc/{p.pid}/syscall") as f:
                call = f.read().split()
            return call[:2] == ["1", "0x1"]  # write(1, ...) on x86-64
        deadline = time.monotonic() + 60
        while not writing_stdout():
            assert p.poll() is None, p.stderr.read()
            assert time.monotonic() < deadline, "mdfs seed never blocked on its stdout"
            time.sleep(0.02)
        p.send_signal(signal.SIGINT)
        def drain():
            while os.read(rfd, 1 << 16):
                pass
        t = threading.Thread(target=drain)
        t.start()
        err = p.stderr.read()
        rc = p.wait(timeout=60)
        t.join(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(rfd)
    assert rc != 0, err
    assert "second.csv: not loaded" in err and "third.csv: not loaded" in err, err
    assert count(server, "first", "seedcmd") == 1
    assert query(server, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'seedcmd' "
                         "AND table_name IN ('second', 'third')") == [["0"]]


SPECIALS = ["\\.", "a,b", '"q"', " lead", "trail ", "plain", "True", "\\N"]


def test_large_files_typed_by_the_whole_file(server, tmp_path):
    """Files above 8 MiB: PostgreSQL loads them with the types of their first
    MiB while inferring the whole file's; a later cell that changes a type
    (a bigint, a non-date) must still give the whole file's types and
    values, and fields the loader no longer quotes (backslashes, "\\." alone
    on a line, commas, quotes, blanks) must arrive unchanged."""
    server.psql("DROP SCHEMA IF EXISTS seedcmd CASCADE; CREATE SCHEMA seedcmd", dbname="shop")
    rows = 2300
    pad = "p" * 4000
    wide = tmp_path / "wide.csv"
    with open(wide, "w", newline="") as f:
        f.write("id,n,d,v,s,pad\n")
        for i in range(rows):
            last = i == rows - 1
            s = SPECIALS[i % len(SPECIALS)]
            q = '"' + s.replace('"', '""') + '"'
            f.write(f"{i},{99999999999 if last else i},{'x' if last else f'2020-01-{i % 28 + 1:02d}'},"
                    f"{'1.50' if i % 2 else '007'},{q},{pad}\n")
    single = tmp_path / "single.csv"
    with open(single, "w", newline="") as f:
        f.write("s\n")
        for i in range(rows):
            f.write("\\.\n" if i % 8 == 7 else pad + "pp" * 250 + "\n")
    assert os.path.getsize(wide) > (8 << 20) and os.path.getsize(single) > (8 << 20)
    r = mdfs_seed(server, str(wide), str(single))
    assert r.returncode == 0, r.stderr
    assert [t for _, t in columns(server, "wide", "seedcmd")] == \
        ["integer", "bigint", "text", "float8", "text", "text"]
    assert query(server, "SELECT count(*), sum(n), min(d), max(d), CAST(sum(v) AS BIGINT) FROM seedcmd.wide") == \
        [[str(rows), str(sum(range(rows - 1)) + 99999999999), "2020-01-01", "x",
          str(int(1.5 * (rows // 2) + 7 * (rows - rows // 2)))]]
    got = query(server, "SELECT s, count(*) FROM seedcmd.wide GROUP BY s ORDER BY s")
    want = {}
    for i in range(rows):
        want[SPECIALS[i % len(SPECIALS)]] = want.get(SPECIALS[i % len(SPECIALS)], 0) + 1
    # psql -A prints the values as they are (no quoting): compare as a dict.
    assert {s: int(c) for s, c in got} == want
    assert query(server, "SELECT count(*), count(*) FILTER (WHERE s = '\\.') FROM seedcmd.single") == \
        [[str(rows), str(rows // 8)]]
