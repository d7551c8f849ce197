"""Fixtures for the integration tests.

One test bed per pytest session: a throwaway PostgreSQL and the MotherDuck
stand-in (tests/harness/testbed.py), both with databases shop and analytics,
stopped by PID at the end. Tests that kill or reconfigure the stand-in use the
function-scoped `own_standin` instead, so they never disturb the shared one.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "harness"))

import testbed as tb  # noqa: E402

BUILD = os.environ.get("MDFS_BUILD", os.path.join(REPO, "build", "release"))
BUILD_ASAN = os.environ.get("MDFS_BUILD_ASAN", os.path.join(REPO, "build", "asan"))


def build_path(*parts, asan=False):
    path = os.path.join(BUILD_ASAN if asan else BUILD, *parts)
    if not os.path.exists(path):
        pytest.fail(f"{path} is not built (run tests/run, or set MDFS_BUILD)")
    return path


def run_node_json(argv, timeout=600):
    """Run one of the tests' Node tools and return the JSON it prints."""
    import json
    r = subprocess.run(["node", *argv], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def duckdb_query(sql):
    """Rows (as JSON) of sql run by a real DuckDB engine in a separate process:
    DuckDB's own readers (read_csv, read_parquet) on files of the mount."""
    return run_node_json([os.path.join(REPO, "tests", "standin", "duckdb_query.mjs"), sql])


def hyparquet(path, max_rows=None):
    """A Parquet file read by hyparquet, a reader independent of DuckDB."""
    extra = [] if max_rows is None else [str(max_rows)]
    return run_node_json([os.path.join(REPO, "tests", "parquet-reader", "read.mjs"), path, *extra])


class Server:
    """What a test needs to reach one server."""

    def __init__(self, engine, source, token, ca, handle):
        self.engine = engine        # "duckdb" (the stand-in) or "postgres"
        self.source = source        # libpq DSN, no password
        self.token = token
        self.ca = ca
        self.handle = handle        # tb.StandIn or tb.Postgres

    def dsn(self, dbname=None):
        if dbname is None:
            return self.source
        parts = [p for p in self.source.split() if not p.startswith("dbname=")]
        return " ".join(parts + [f"dbname={dbname}"])

    def env(self, **extra):
        e = dict(os.environ)
        e.pop("PGPASSWORD", None)
        e.update(MDFS_TEST_SOURCE=self.source, MOTHERDUCK_TOKEN=self.token,
                 MDFS_TEST_ENGINE=self.engine, MDFS_TEST_CA=self.ca)
        e.update(extra)
        return e

    def psql(self, sql, dbname=None, check=True, args=(), token=None):
        """Run SQL through psql over TLS with the token as password."""
        env = dict(os.environ, PGPASSWORD=self.token if token is None else token)
        r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *args,
                            "-d", self.dsn(dbname), "-c", sql],
                           env=env, capture_output=True, timeout=120)
        # Decode by hand: text mode would turn CR LF in values into LF.
        r.stdout, r.stderr = r.stdout.decode(), r.stderr.decode()
        if check and r.returncode != 0:
            raise AssertionError(f"psql failed ({r.returncode}): {r.stderr}")
        return r


@pytest.fixture(scope="session")
def testbed():
    root = tempfile.mkdtemp(prefix="mdfs-test-")
    bed = tb.Testbed(root).start()
    try:
        yield bed
    finally:
        bed.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def md(testbed):
    return Server("duckdb", testbed.md.source(), testbed.token, testbed.ca_crt, testbed.md)


@pytest.fixture(scope="session")
def pg(testbed):
    return Server("postgres", testbed.pg.source(), testbed.token, testbed.ca_crt, testbed.pg)


@pytest.fixture(params=["duckdb", "postgres"])
def server(request):
    """Each test using it runs once against the stand-in and once against PostgreSQL."""
    return request.getfixturevalue("md" if request.param == "duckdb" else "pg")


@pytest.fixture
def own_standin(testbed, tmp_path):
    """A private stand-in for tests that reconfigure, kill or restart it."""
    s = tb.StandIn(str(tmp_path), testbed.crt, testbed.key, testbed.ca_crt, testbed.token)
    s.start()
    try:
        yield Server("duckdb", s.source(), testbed.token, testbed.ca_crt, s)
    finally:
        s.stop()


def is_mounted(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


class Mount:
    """mdfs running in the foreground on a temporary mount point.

    Started with the token in the environment; waits until the mount shows
    in /proc/self/mountinfo; stop() unmounts with fusermount3 -u, waits for
    the daemon and fails the test on unexpected stderr (sshfs's approach)."""

    def __init__(self, server, mountpoint, source=None, opts=(), env=None, asan=False,
                 allowed_stderr=(), wrapper=()):
        self.server = server
        self.mnt = str(mountpoint)
        self.allowed = list(allowed_stderr)
        o = [f"sslrootcert={server.ca}", "sslmode=verify-full"]
        if source is None:
            # As a user would mount each: the stand-in as a MotherDuck source
            # with its host and port, PostgreSQL by a DSN.
            if server.engine == "duckdb":
                source = "md:"
                o += ["host=127.0.0.1", f"port={server.handle.port}"]
            else:
                source = server.dsn()
        o += list(opts)
        self.argv = [*wrapper, build_path("fs", "mdfs", asan=asan), source, self.mnt, "-f",
                     "-o", ",".join(o)]
        self.env = dict(os.environ, MOTHERDUCK_TOKEN=server.token)
        self.env.pop("PGPASSWORD", None)
        if env:
            self.env.update(env)
        self.stderr_path = self.mnt + ".stderr"
        self.proc = None

    def start(self):
        os.makedirs(self.mnt, exist_ok=True)
        self._err = open(self.stderr_path, "w+")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=self._err, stderr=self._err,
                                     stdin=subprocess.DEVNULL)
        try:
            tb.wait_for(lambda: self.proc.poll() is not None or is_mounted(self.mnt), 60,
                        "the mount to appear")
        except TimeoutError:
            self.stop(check=False)
            raise
        if self.proc.poll() is not None:
            raise AssertionError(f"mdfs exited {self.proc.returncode}: {self.stderr()}")
        return self

    def stderr(self):
        self._err.flush()
        with open(self.stderr_path) as f:
            return f.read()

    def path(self, *parts):
        return os.path.join(self.mnt, *parts)

    def stop(self, check=True):
        if self.proc is None:
            return
        if is_mounted(self.mnt):
            subprocess.run(["fusermount3", "-u", "-z", self.mnt], capture_output=True)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        rc, self.proc = self.proc.returncode, None
        err = self.stderr()
        self._err.close()
        if check:
            assert rc == 0, f"mdfs exited {rc}: {err}"
            unexpected = [ln for ln in err.splitlines()
                          if ln.strip() and not ln.startswith("mdfs: mounted") and
                          not ln.startswith("mdfs: unmounted") and
                          not any(a in ln for a in self.allowed)]
            assert not unexpected, "unexpected stderr from mdfs:\n" + "\n".join(unexpected)


@pytest.fixture
def mount_factory(tmp_path):
    mounts = []

    def make(server, **kw):
        m = Mount(server, tmp_path / f"mnt{len(mounts)}", **kw)
        mounts.append(m)
        return m.start()

    yield make
    errors = []
    for m in mounts:
        try:
            m.stop()
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n".join(errors)


@pytest.fixture
def mounted(server, mount_factory):
    """The shared server of this test's engine, mounted."""
    return mount_factory(server)
