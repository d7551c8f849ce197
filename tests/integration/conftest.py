"""Fixtures for the integration tests.

One test bed per pytest session: a throwaway PostgreSQL and the MotherDuck
stand-in (tests/harness/testbed.py), both with databases shop and analytics,
stopped by PID at the end. Tests that kill or reconfigure the stand-in use the
function-scoped `own_standin` instead, so they never disturb the shared one.
"""
import os
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
                           env=env, capture_output=True, text=True, timeout=120)
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
