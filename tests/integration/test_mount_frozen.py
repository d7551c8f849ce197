"""A frozen endpoint: the TCP connection stays open but nothing answers (a
stuck proxy, a dead NAT). Every operation fails within connect_timeout +
io_timeout, a process blocked in the mount can be killed at once, and the mount
works again when the endpoint answers again (issue 10). The tests' proxy
(tests/harness/tcpproxy.py) stands between mdfs and each server."""
import errno
import os
import re
import signal
import subprocess
import time

import pytest

import testbed as tb
from conftest import Mount, is_mounted
from tcpproxy import TcpProxy

CONNECT_TIMEOUT = 3
IO_TIMEOUT = 4
LIMIT = CONNECT_TIMEOUT + IO_TIMEOUT + 4  # s: the documented bound, plus slack for a busy machine


@pytest.fixture
def frozen_mount(server, mount_factory, tmp_path):
    schema = "main" if server.engine == "duckdb" else "public"
    server.psql(f"DROP TABLE IF EXISTS {schema}.frz; CREATE TABLE {schema}.frz AS "
                "SELECT 1 AS a UNION ALL SELECT 2", dbname="shop")
    proxy = TcpProxy(server.handle.port).start()
    opts = [f"connect_timeout={CONNECT_TIMEOUT}", f"io_timeout={IO_TIMEOUT}", "cache_timeout=0"]
    if server.engine == "duckdb":
        source = "md:"
        opts += ["host=127.0.0.1", f"port={proxy.port}"]
    else:
        source = re.sub(r"port=\d+", f"port={proxy.port}", server.dsn())
    m = mount_factory(server, source=source, opts=opts, allowed_stderr=(
        "timed out", "no answer", "timeout", "connection", "could not", "EOF", "SSL", "list ",
        "open ", "load", "stream", "server closed", "cancel"))
    try:
        yield m, proxy, os.path.join(m.mnt, "shop", schema)
    finally:
        proxy.stop()


def expect_failure_in_time(argv, what):
    started = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=LIMIT + 30)
    elapsed = time.monotonic() - started
    assert r.returncode != 0, f"{what} succeeded against a frozen endpoint"
    assert elapsed < LIMIT, f"{what} took {elapsed:.1f} s (limit {LIMIT} s)"
    print(f"frozen: {what} failed after {elapsed:.1f} s")
    return r


def test_frozen_endpoint_fails_in_time_then_recovers(frozen_mount, tmp_path):
    m, proxy, d = frozen_mount
    assert "frz.csv" in os.listdir(d)
    with open(os.path.join(d, "frz.csv")) as f:
        assert f.read() == "a\n1\n2\n"
    src = tmp_path / "frz_new.csv"
    src.write_text("x\n1\n")
    proxy.freeze()
    try:
        r = expect_failure_in_time(["ls", d], "ls")
        assert "Input/output error" in r.stderr
        expect_failure_in_time(["cat", os.path.join(d, "frz.csv")], "cat")
        expect_failure_in_time(["cp", str(src), os.path.join(d, "frz_new.csv")], "cp")
    finally:
        proxy.thaw()
    # The endpoint answers again: the mount works without a remount.
    tb.wait_for(lambda: "frz.csv" in os.listdir(d), 30, "the listing to work again")
    with open(os.path.join(d, "frz.csv")) as f:
        assert f.read() == "a\n1\n2\n"


def test_process_blocked_on_frozen_endpoint_dies_at_once(frozen_mount):
    m, proxy, d = frozen_mount
    os.listdir(d)
    proxy.freeze()
    try:
        p = subprocess.Popen(["cat", os.path.join(d, "frz.csv")], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        # Wait until cat waits for the daemon's answer to a request it has
        # already taken (the case SIGKILL alone cannot end), then kill it.
        def waiting_on_daemon():
            try:
                with open(f"/proc/{p.pid}/wchan") as f:
                    return f.read() == "request_wait_answer"
            except OSError:
                return False
        tb.wait_for(waiting_on_daemon, 10, "cat to wait on the daemon")
        t0 = time.monotonic()
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=LIMIT + 10)
        died = time.monotonic() - t0
        print(f"frozen: a killed cat died after {died:.2f} s")
        assert died < 1.5, "a killed process stayed blocked in the mount"
    finally:
        proxy.thaw()
    tb.wait_for(lambda: "frz.csv" in os.listdir(d), 30, "the listing to work again")


def test_server_silent_after_the_handshake_fails_the_mount_in_time(server, mount_factory, tmp_path):
    """The session set-up after the handshake (the dialect probe, SETs, the
    current database) waits like every query: a server that accepts the
    connection and then stops answering fails the mount within
    connect_timeout + io_timeout, not when TCP gives up (60 s) or the
    server's statement ends. The stand-in holds every result back (its
    batch delay); PostgreSQL runs a dialect probe that sleeps."""
    pg = server.engine == "postgres"
    if pg:
        server.psql("CREATE OR REPLACE FUNCTION public.duckdb_databases() RETURNS TABLE (x int) "
                    "LANGUAGE sql AS 'SELECT 1 FROM pg_sleep(60)'", dbname="shop")
    else:
        server.handle.control(batch_delay_ms=60000)
    try:
        m = Mount(server, tmp_path / "mnt", opts=(f"connect_timeout={CONNECT_TIMEOUT}",
                                                 f"io_timeout={IO_TIMEOUT}"))
        os.makedirs(m.mnt)
        started = time.monotonic()
        p = subprocess.Popen(m.argv, env=m.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        try:
            out, err = p.communicate(timeout=LIMIT + 60)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        elapsed = time.monotonic() - started
        r = subprocess.CompletedProcess(m.argv, p.returncode, out, err)
    finally:
        if is_mounted(m.mnt):  # a mount that came up late (the bug): never left behind
            subprocess.run(["fusermount3", "-u", "-z", m.mnt], capture_output=True)
        if pg:
            server.psql("DROP FUNCTION public.duckdb_databases()", dbname="shop")
        else:
            server.handle.control(batch_delay_ms=0)
    print(f"silent after the handshake: mdfs failed after {elapsed:.1f} s")
    assert r.returncode != 0 and not is_mounted(m.mnt), r.stderr
    assert "no answer from the server" in r.stderr, r.stderr
    assert elapsed < LIMIT, f"took {elapsed:.1f} s (limit {LIMIT} s)"
    # The server answers again: a mount works.
    m = mount_factory(server)
    assert "shop" in os.listdir(m.mnt)
