"""Start-up checks, secrets, early close and a dying endpoint, on a real
mount. These tests use a private stand-in (own_standin) so they can kill and
restart it without disturbing other tests."""
import errno
import os
import subprocess
import time

import pytest

import testbed as tb
from conftest import HOSTILE_NOTICES, build_path, is_mounted


def mdfs_cmd(server, mnt, source=None, opts=(), token=None, foreground=False):
    o = [f"sslrootcert={server.ca}"]
    if source is None:
        source = "md:"
        o += ["host=127.0.0.1", f"port={server.handle.port}"]
    argv = [build_path("fs", "mdfs"), source, str(mnt), "-o", ",".join(o + list(opts))]
    if foreground:
        argv.append("-f")
    env = dict(os.environ, MOTHERDUCK_TOKEN=server.token if token is None else token)
    env.pop("PGPASSWORD", None)
    return argv, env


def run_mdfs_expect_failure(server, tmp_path, **kw):
    mnt = tmp_path / "mnt"
    mnt.mkdir(exist_ok=True)
    argv, env = mdfs_cmd(server, mnt, **kw)
    started = time.monotonic()
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert r.returncode != 0
    assert not is_mounted(str(mnt))
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0], elapsed


def test_wrong_token_fails_before_mounting(md, tmp_path):
    line, _ = run_mdfs_expect_failure(md, tmp_path, token="wrong-token")
    assert "password authentication failed" in line
    # A token of another region's organization is refused the same way: say so.
    assert "check the region (-o region=)" in line
    assert "wrong-token" not in line


def test_unreachable_host_fails_within_connect_timeout(md, tmp_path):
    lock = tb.PortLock()  # a port nobody listens on
    try:
        line, elapsed = run_mdfs_expect_failure(
            md, tmp_path, source="md:", opts=("host=127.0.0.1", f"port={lock.port}", "connect_timeout=3"))
    finally:
        lock.release()
    assert "cannot connect" in line and elapsed < 10


def test_bad_certificate_fails(md, tmp_path):
    # The system CA bundle does not know our test CA: verify-full must refuse.
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    argv, env = mdfs_cmd(md, mnt)
    argv[argv.index("-o") + 1] = (f"host=127.0.0.1,port={md.handle.port},"
                                  "sslrootcert=/etc/ssl/certs/ca-certificates.crt")
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and not is_mounted(str(mnt))
    assert len(r.stderr.strip().splitlines()) == 1
    assert "certificate verify failed" in r.stderr


def test_password_in_source_is_refused(md, tmp_path):
    src = f"postgresql://mdfs:s3cr3t-pw@127.0.0.1:{md.handle.port}/md:"
    line, _ = run_mdfs_expect_failure(md, tmp_path, source=src)
    assert "token_file" in line and "s3cr3t-pw" not in line


def daemon_of(pid, mnt):
    """True when /proc/PID is the mdfs serving mnt."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return bool(argv) and argv[0].endswith(b"/mdfs") and mnt.encode() in argv


def test_token_never_shows(md, tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    argv, env = mdfs_cmd(md, mnt)
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)  # daemonizes
    try:
        assert r.returncode == 0, r.stderr
        assert is_mounted(str(mnt))
        with open("/proc/mounts") as f:
            line = [ln for ln in f if f" {mnt} " in ln][0]
        assert md.token not in line and line.startswith("md: ") and " fuse.mdfs " in line
        pids = [p for p in os.listdir("/proc") if p.isdigit() and daemon_of(p, str(mnt))]
        assert len(pids) == 1, "daemon not found"
        for what in ("cmdline", "environ"):
            with open(f"/proc/{pids[0]}/{what}", "rb") as f:
                assert md.token.encode() not in f.read()
        assert "shop" in os.listdir(mnt)
    finally:
        subprocess.run(["fusermount3", "-u", str(mnt)], check=False)
    tb.wait_for(lambda: not is_mounted(str(mnt)), 10, "unmount")


def test_token_file(md, tmp_path, mount_factory):
    tok = tmp_path / "token"
    tok.write_text(md.token + "\n")
    m = mount_factory(md, env={"MOTHERDUCK_TOKEN": ""}, opts=(f"token_file={tok}",))
    assert "shop" in os.listdir(m.mnt)


@pytest.mark.parametrize("var", ["MOTHERDUCK_TOKEN", "motherduck_token", "PGPASSWORD"])
def test_token_variable_is_cleared_from_the_environment(server, mount_factory, var):
    """Whichever variable held the token, the daemon's /proc/PID/environ no
    longer shows it, and connections made afterwards still authenticate."""
    m = mount_factory(server, env={"MOTHERDUCK_TOKEN": "", var: server.token})
    assert "shop" in os.listdir(m.mnt)  # the pool connects after the scrub
    assert os.listdir(m.path("shop"))
    with open(f"/proc/{m.proc.pid}/environ", "rb") as f:
        environ = f.read()
    assert server.token.encode() not in environ


@pytest.mark.parametrize("spool_dir", ["missing", "a_file", "/proc/self"])
def test_unusable_spool_dir_fails_before_mounting(md, tmp_path, spool_dir):
    (tmp_path / "a_file").write_text("x")
    path = spool_dir if spool_dir.startswith("/") else str(tmp_path / spool_dir)
    line, _ = run_mdfs_expect_failure(md, tmp_path, opts=(f"spool_dir={path}",))
    assert line.startswith("mdfs: error: spool_dir: no spool file in " + path + ": "), line


@pytest.mark.parametrize("opt,word", [("statement_timeout=3000000", "timeouts"),
                                      ("io_timeout=3000000", "timeouts"),
                                      ("spool_max=9000000000000", "spool_max")])
def test_numbers_that_would_overflow_are_refused(md, tmp_path, opt, word):
    line, _ = run_mdfs_expect_failure(md, tmp_path, opts=(opt,))
    assert word in line and "at most" in line, line


def test_postgres_source_without_dbname_shows_the_database_by_name(pg, mount_factory):
    """libpq picks the database (here from $PGDATABASE): the tree shows its
    name, not the encoding of an empty name."""
    source = " ".join(p for p in pg.source.split() if not p.startswith("dbname="))
    m = mount_factory(pg, source=source, env={"PGDATABASE": "shop"})
    assert sorted(os.listdir(m.mnt)) == [".queries", "shop"]
    assert "public" in os.listdir(m.path("shop"))


def read_to_end_expect_eio(fd):
    """A streaming reader (os.read, no fstat) must fail with EIO, never end short."""
    with pytest.raises(OSError) as e:
        while os.read(fd, 1 << 20):
            pass
    assert e.value.errno == errno.EIO


def big_table(server, rows):
    server.psql(f"CREATE OR REPLACE TABLE main.big AS SELECT range AS id, 'row ' || range::VARCHAR AS label, "
                f"range * 0.5 AS half FROM range({rows})")


def test_head_on_ten_million_rows_is_fast_and_cancels(own_standin, mount_factory):
    s = own_standin
    big_table(s, 10_000_000)
    m = mount_factory(s)
    path = m.path("shop", "main", "big.csv")
    os.stat(path)
    started = time.monotonic()
    r = subprocess.run(["head", "-n", "3", path], capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert r.returncode == 0
    assert r.stdout.splitlines()[0] == "id,label,half"
    assert len(r.stdout.splitlines()) == 3
    assert elapsed < 2.0, f"head took {elapsed:.2f}s"
    # head closed the file: the server-side query must be gone.
    tb.wait_for(lambda: s.handle.stats()["active_queries"] == 0, 10, "the query to be cancelled")


def test_endpoint_killed_mid_read_gives_eio_then_recovers(own_standin, mount_factory):
    s = own_standin
    big_table(s, 2_000_000)
    m = mount_factory(s, opts=("cache_timeout=0", "connect_timeout=3"),
                      allowed_stderr=("stream broke", "connection", "server closed", "could not",
                                      "Connection refused", "list ", "open ", "EOF", "SSL"))
    path = m.path("shop", "main", "big.csv")
    # A streaming reader (os.read, no fstat: nothing is spooled ahead of it).
    fd = os.open(path, os.O_RDONLY)
    try:
        assert os.read(fd, 65536)
        port, control = s.handle.port, s.handle.control_port
        s.handle.kill()
        read_to_end_expect_eio(fd)
    finally:
        os.close(fd)
    # Endpoint down: a listing fails with EIO, fast.
    started = time.monotonic()
    with pytest.raises(OSError) as e:
        os.listdir(m.path("shop", "main"))
    assert e.value.errno == errno.EIO and time.monotonic() - started < 10
    # Endpoint back: the next ls works without a remount.
    s.handle.start(port, control)
    assert "big.csv" in os.listdir(m.path("shop", "main"))
    with open(path, "rb") as f:
        assert f.readline() == b"id,label,half\n"


def test_stream_cut_mid_way_is_never_a_short_file(own_standin, mount_factory):
    s = own_standin
    big_table(s, 200_000)
    m = mount_factory(s, allowed_stderr=("stream broke", "connection", "server closed", "EOF", "SSL"))
    s.handle.control(close_after_rows=50_000)
    # Both kinds of reader fail: one that streams, one that asks the size first.
    fd = os.open(m.path("shop", "main", "big.csv"), os.O_RDONLY)
    try:
        read_to_end_expect_eio(fd)
    finally:
        os.close(fd)
    with pytest.raises(OSError) as e:
        with open(m.path("shop", "main", "big.csv"), "rb") as f:
            f.read()
    assert e.value.errno == errno.EIO
    s.handle.control(close_after_rows=None)
    with open(m.path("shop", "main", "big.csv"), "rb") as f:
        assert f.read().count(b"\n") == 200_001


def test_debug_log_shows_sql_never_the_token(md, mount_factory):
    md.psql("CREATE OR REPLACE TABLE main.dbg AS SELECT 1 AS a", dbname="shop")
    # FUSE's own debug lines take every form, so the fixture lets all lines
    # through ("") and this test checks mdfs's lines itself, after unmounting.
    m = mount_factory(md, opts=("debug",), allowed_stderr=("",))
    os.listdir(m.path("shop"))
    with open(m.path("shop", "main", "dbg.csv"), "rb") as f:
        assert f.read() == b"a\n1\n"
    subprocess.run(["fusermount3", "-u", m.mnt], check=True)
    assert m.proc.wait(timeout=60) == 0
    log = m.stderr()
    assert "SELECT" in log and "duckdb_schemas" in log
    assert md.token not in log
    # Under the hostile profile a mount also says, once, what it does about refused SETs.
    notices = HOSTILE_NOTICES if md.profile == "hostile" else []
    unexpected = [ln for ln in log.splitlines()
                  if (ln.startswith("mdfs: ") and not ln.startswith(("mdfs: debug: ", "mdfs: info: "))
                      and not any(n in ln for n in notices))
                  or "Sanitizer" in ln or "runtime error" in ln]
    assert not unexpected, "\n".join(unexpected)


def test_head_on_ten_million_rows_postgres(pg, mount_factory):
    pg.psql("DROP TABLE IF EXISTS public.big10m; CREATE UNLOGGED TABLE public.big10m AS "
            "SELECT g AS id, 'row ' || g AS label FROM generate_series(1, 10000000) g", dbname="shop")
    m = mount_factory(pg)
    path = m.path("shop", "public", "big10m.csv")
    started = time.monotonic()
    r = subprocess.run(["head", "-n", "3", path], capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert r.returncode == 0 and r.stdout.splitlines() == ["id,label", "1,row 1", "2,row 2"]
    assert elapsed < 2.0, f"head took {elapsed:.2f}s"

    def gone():
        q = pg.psql("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                    "AND query LIKE '%big10m%' AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'", dbname="shop", args=("-A", "-t"))
        return q.stdout.strip() == "0"

    tb.wait_for(gone, 10, "the server-side query to be cancelled")
    pg.psql("DROP TABLE public.big10m", dbname="shop")


def preload(lib):
    """LD_PRELOAD of lib for the daemon: an ASan build (MDFS_BUILD=build/asan)
    needs its sanitizer runtime loaded first."""
    r = subprocess.run(["ldd", build_path("fs", "mdfs")], capture_output=True, text=True)
    first = [ln.split("=>")[1].split()[0] for ln in r.stdout.splitlines()
             if "libasan" in ln and "=>" in ln]
    return " ".join(first + [lib])


def test_failed_truncate_fails_the_open(server, mount_factory, tmp_path):
    """open(O_TRUNC) of a file being written must not succeed when the spool
    could not be truncated: the new bytes would sit over the old ones."""
    flag = tmp_path / "fail-ftruncate"
    m = mount_factory(server, allowed_stderr=("truncate of the spool failed",),
                      env={"LD_PRELOAD": preload(build_path("tests", "c", "fail_ftruncate.so")),
                           "MDFS_TEST_FAIL_FTRUNCATE": str(flag)})
    schema = "main" if server.engine == "duckdb" else "public"
    path = m.path("shop", schema, "notes.tmp")  # a spool-only name: no load
    with open(path, "w") as f:
        f.write("old old old old\n")
    flag.touch()
    try:
        with pytest.raises(OSError) as e:
            with open(path, "w") as f:
                f.write("new\n")
        assert e.value.errno == errno.EIO
    finally:
        flag.unlink()
    with open(path) as f:
        assert f.read() == "old old old old\n"
    with open(path, "w") as f:
        f.write("new\n")
    with open(path) as f:
        assert f.read() == "new\n"
    os.unlink(path)
