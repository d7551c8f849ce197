"""Fixtures for the integration tests.

One test bed per pytest session: a throwaway PostgreSQL and the MotherDuck
stand-in (tests/harness/testbed.py), both with databases shop and analytics,
stopped by PID at the end; one stand-in per endpoint profile in MD_PROFILES
(tests/standin/README.md), each started once and shared. `md` and `server`
run a test once per stand-in profile (ids `duckdb`, `duckdb-hostile`) and,
for `server`, once against PostgreSQL (`postgres`). Tests that kill or
reconfigure the stand-in use the function-scoped `own_standin` instead, so
they never disturb the shared ones.
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

# The stand-in profiles the suite runs under (tests/harness/testbed.py PROFILES).
# MDFS_TEST_MD_PROFILES=default,hostile overrides it for one run.
MD_PROFILES = ["default", "hostile"]
if os.environ.get("MDFS_TEST_MD_PROFILES"):
    MD_PROFILES = os.environ["MDFS_TEST_MD_PROFILES"].split(",")

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

    def __init__(self, engine, source, token, ca, handle, profile="default", admin_token=None):
        self.engine = engine        # "duckdb" (the stand-in) or "postgres"
        self.source = source        # libpq DSN, no password
        self.token = token          # what mdfs and the C programs log in with
        self.ca = ca
        self.handle = handle        # tb.StandIn or tb.Postgres
        self.profile = profile      # the stand-in's endpoint profile ("default" for PostgreSQL)
        # The tests' own psql calls log in with this: the stand-in never counts it
        # against a connection limit (PostgreSQL: the token).
        self.admin_token = admin_token or token

    @property
    def id(self):
        """The pytest id: duckdb, duckdb-PROFILE or postgres."""
        return server_id(self.engine, self.profile)

    def dsn(self, dbname=None):
        if dbname is None:
            return self.source
        parts = [p for p in self.source.split() if not p.startswith("dbname=")]
        return " ".join(parts + [f"dbname={dbname}"])

    def env(self, **extra):
        e = dict(os.environ)
        e.pop("PGPASSWORD", None)
        e.update(MDFS_TEST_SOURCE=self.source, MOTHERDUCK_TOKEN=self.token,
                 MDFS_TEST_ENGINE=self.engine, MDFS_TEST_CA=self.ca,
                 MDFS_TEST_MD_PROFILE=self.profile, MDFS_TEST_ADMIN_TOKEN=self.admin_token)
        e.update(extra)
        return e

    def valgrind_env(self, **extra):
        """env() for a program under valgrind: its TLS handshake alone can take
        seconds on a busy machine, so the connect deadline is a minute."""
        return self.env(MDFS_TEST_SOURCE=self.source + " connect_timeout=60", **extra)

    def psql(self, sql, dbname=None, check=True, args=(), token=None):
        """Run SQL through psql over TLS, logged in with the admin token (or token)."""
        env = dict(os.environ, PGPASSWORD=self.admin_token if token is None else token)
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


def server_id(engine, profile="default"):
    if engine == "postgres":
        return "postgres"
    return "duckdb" if profile == "default" else f"duckdb-{profile}"


MD_IDS = [server_id("duckdb", p) for p in MD_PROFILES]
SERVER_IDS = MD_IDS + ["postgres"]  # params of `server`; also for a fixture of one's own


def md_server(testbed, profile):
    s = testbed.standin(profile)
    return Server("duckdb", s.source(), testbed.token, testbed.ca_crt, s, profile=profile,
                  admin_token=s.admin_token)


def server_for(request, ident):
    """The shared server of a SERVER_IDS id, for fixtures parametrized over SERVER_IDS."""
    if ident == "postgres":
        return request.getfixturevalue("pg")
    testbed = request.getfixturevalue("testbed")
    return md_server(testbed, MD_PROFILES[MD_IDS.index(ident)])


@pytest.fixture(scope="session", params=MD_PROFILES, ids=MD_IDS)
def md(request, testbed):
    """The shared stand-in, once per profile in MD_PROFILES."""
    return md_server(testbed, request.param)


@pytest.fixture(scope="session")
def pg(testbed):
    return Server("postgres", testbed.pg.source(), testbed.token, testbed.ca_crt, testbed.pg)


@pytest.fixture(params=SERVER_IDS)
def server(request):
    """Each test using it runs against the stand-in under each profile and against PostgreSQL."""
    return server_for(request, request.param)


def default_profile_only(fixture="server"):
    """Mark a test that checks the default profile's behaviour of the shared
    servers (e.g. that a cancel is honoured): it runs against the default-profile
    stand-in only (and PostgreSQL, for `server`)."""
    if fixture == "server":
        return pytest.mark.parametrize("server", ["duckdb", "postgres"], indirect=True)
    return pytest.mark.parametrize("md", ["default"], indirect=True, ids=["duckdb"])


@pytest.fixture
def standin_factory(testbed, tmp_path):
    """Start private stand-ins: make(profile="default", extra_args=()) -> Server;
    all are stopped after the test."""
    started = []

    def make(profile="default", extra_args=()):
        s = tb.StandIn(str(tmp_path / f"standin{len(started)}"), testbed.crt, testbed.key,
                       testbed.ca_crt, testbed.token, profile=profile, extra_args=extra_args)
        started.append(s)
        s.start()
        return Server("duckdb", s.source(), testbed.token, testbed.ca_crt, s, profile=profile,
                      admin_token=s.admin_token)

    try:
        yield make
    finally:
        for s in started:
            s.stop()


@pytest.fixture
def own_standin(standin_factory):
    """A private stand-in (default profile) for tests that reconfigure, kill or restart it."""
    return standin_factory()


def is_mounted(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


# The lines a mount of the hostile-profile stand-in logs by design (see Mount).
HOSTILE_NOTICES = ["the server refused SET ", "the endpoint allows fewer connections"]


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
        if server.profile == "hostile":
            # What mdfs says, once per mount, about an endpoint that refuses
            # SET TimeZone/statement_timeout or allows fewer connections than
            # `connections`: the user is told what mdfs does about it.
            self.allowed += HOSTILE_NOTICES
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
