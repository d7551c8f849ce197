#!/usr/bin/env python3
"""The mdfs test bed: a test CA, a throwaway PostgreSQL and the MotherDuck
stand-in, each on a free 127.0.0.1 port, each stopped by its own PID.

Used by the pytest suite (tests/integration/conftest.py), by examples/demo and
by bench/. As a command:

    testbed.py start DIR [--no-pg] [--no-md] [--profile P]
                                 start both servers (the stand-in under endpoint
                                 profile P: default or hostile), write DIR/env.sh
    testbed.py stop DIR          stop the servers started in DIR

DIR/env.sh exports, for shells and the C integration tests:
    MDFS_TEST_CA            the test CA certificate (sslrootcert)
    MDFS_TEST_TOKEN         the token: stand-in token and PostgreSQL password
    MDFS_TEST_ADMIN_TOKEN   the stand-in's admin token, for the tests' own psql calls: never
                            counted against the profile's connection limit (for PostgreSQL,
                            use MDFS_TEST_TOKEN)
    MDFS_TEST_MD_PROFILE    the stand-in's endpoint profile
    MDFS_TEST_MD_SOURCE     DSN of the stand-in  (dbname=md:, verify-full)
    MDFS_TEST_MD_PORT, MDFS_TEST_PG_PORT   the two servers' ports
    MDFS_TEST_MD_CONTROL    http://127.0.0.1:PORT of the stand-in's control API
    MDFS_TEST_PG_SOURCE     DSN of PostgreSQL    (dbname=shop, verify-full)
Both servers hold the databases `shop` and `analytics`.
"""

import argparse
import fcntl
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
STANDIN_DIR = os.path.join(REPO, "tests", "standin")
DATABASES = ("shop", "analytics")
PORT_LOCK_DIR = "/tmp/mdfs-test-ports"


def wait_for(cond, timeout, what, interval=0.05):
    """Poll cond() until it returns a true value; raise TimeoutError after timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class PortLock:
    """A free 127.0.0.1 port, held under an flock so that parallel test beds
    on this machine never pick the same one (pgbouncer's approach)."""

    def __init__(self):
        os.makedirs(PORT_LOCK_DIR, exist_ok=True)
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            fd = os.open(os.path.join(PORT_LOCK_DIR, str(port)), os.O_CREAT | os.O_RDWR, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.port, self._fd = port, fd
            return
        raise RuntimeError("no free port found")

    def release(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def make_ca(dirpath):
    """A test CA and a server certificate for localhost / 127.0.0.1 (EC P-256)."""
    ca_key, ca_crt = os.path.join(dirpath, "ca.key"), os.path.join(dirpath, "ca.crt")
    key, csr, crt = (os.path.join(dirpath, n) for n in ("server.key", "server.csr", "server.crt"))
    ext = os.path.join(dirpath, "server.ext")
    if os.path.exists(crt):
        return ca_crt, crt, key

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ca_key)
    run("req", "-x509", "-new", "-key", ca_key, "-sha256", "-days", "30",
        "-subj", "/CN=mdfs test CA", "-out", ca_crt)
    run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key)
    run("req", "-new", "-key", key, "-subj", "/CN=localhost", "-out", csr)
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
        "-days", "30", "-sha256", "-extfile", ext, "-out", crt)
    os.chmod(key, 0o600)
    return ca_crt, crt, key


def dsn(port, dbname, user, ca):
    return (f"host=127.0.0.1 port={port} dbname={dbname} user={user} "
            f"sslmode=verify-full sslrootcert={ca}")


def stop_pid(pid, sig=signal.SIGTERM, timeout=30):
    """Stop one process we started, by PID; escalate to SIGKILL after timeout."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return

    def gone():
        try:
            wpid, _ = os.waitpid(pid, os.WNOHANG)
            if wpid == pid:
                return True
        except ChildProcessError:
            pass  # not our child (CLI stop): fall back to kill(0)
        try:
            os.kill(pid, 0)
            return False
        except ProcessLookupError:
            return True

    try:
        wait_for(gone, timeout, f"process {pid} to exit")
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)
        wait_for(gone, 10, f"process {pid} to die")


class Postgres:
    """A throwaway PostgreSQL cluster: initdb into DIR/pg, ssl=on with the test
    CA's server certificate, scram-sha-256 password auth over TCP, unix socket
    in DIR/pg with trust for set-up. Runs as the `postgres` user when we are root."""

    def __init__(self, root, ca_crt, crt, key, token):
        self.root, self.token = root, token
        self.ca_crt, self.crt, self.key = ca_crt, crt, key
        self.dir = os.path.join(root, "pg")
        self.data = os.path.join(self.dir, "data")
        self.proc = None
        self.pid = None
        self.port = None
        self.bindir = self._bindir()
        self.runas = None
        if os.geteuid() == 0:
            self.runas = pwd.getpwnam("postgres")

    @staticmethod
    def _bindir():
        base = "/usr/lib/postgresql"
        versions = sorted((d for d in os.listdir(base) if d.isdigit()), key=int)
        if not versions:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
        return os.path.join(base, versions[-1], "bin")

    def _popen_kw(self):
        if self.runas:
            return dict(user=self.runas.pw_uid, group=self.runas.pw_gid, extra_groups=[])
        return {}

    def _chown(self, path):
        if self.runas:
            os.chown(path, self.runas.pw_uid, self.runas.pw_gid)

    def start(self, port=None):
        lock = None
        if port is None:
            lock = PortLock()
            port = lock.port
        self.port = port
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o700)
        self._chown(self.dir)
        if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
            self._initdb()
        log = open(os.path.join(self.dir, "postgres.log"), "ab")
        self.proc = subprocess.Popen(
            [os.path.join(self.bindir, "postgres"), "-D", self.data, "-p", str(port)],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
            **self._popen_kw())
        log.close()
        self.pid = self.proc.pid
        try:
            wait_for(lambda: self.proc.poll() is not None or self._ready(), 60,
                     "PostgreSQL to accept connections")
            if self.proc.poll() is not None:
                raise RuntimeError("PostgreSQL exited; see " + os.path.join(self.dir, "postgres.log"))
        finally:
            if lock:
                lock.release()
        for db in DATABASES:
            self.psql_socket("postgres", f"CREATE DATABASE {db}", check=False)
        return self

    def _initdb(self):
        pwfile = os.path.join(self.dir, "pwfile")
        with open(pwfile, "w") as f:
            f.write(self.token + "\n")
        self._chown(pwfile)
        subprocess.run([os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", "postgres",
                        "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256",
                        "-E", "UTF8", "--locale=C.UTF-8"],
                       check=True, capture_output=True, **self._popen_kw())
        os.unlink(pwfile)
        for name, src in (("server.crt", self.crt), ("server.key", self.key)):
            dst = os.path.join(self.data, name)
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o600)
            self._chown(dst)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"""
listen_addresses = '127.0.0.1'
unix_socket_directories = '{self.dir}'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
shared_buffers = 128MB
log_min_messages = warning
""")
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\n"
                    "hostssl all all 127.0.0.1/32 scram-sha-256\n")

    def _ready(self):
        r = subprocess.run([os.path.join(self.bindir, "pg_isready"), "-q", "-h", self.dir,
                            "-p", str(self.port)], capture_output=True)
        return r.returncode == 0

    def psql_socket(self, db, sql, check=True):
        """Run SQL as the superuser over the unix socket (set-up only)."""
        return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.dir,
                               "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql],
                              check=check, capture_output=True, text=True)

    def source(self, dbname="shop"):
        return dsn(self.port, dbname, "postgres", self.ca_crt)

    def stop(self):
        if self.pid:
            stop_pid(self.pid, signal.SIGINT)  # fast shutdown
            self.pid = None
            self.proc = None


PROFILES = ("default", "hostile")  # tests/standin/config.mjs has their switches


class StandIn:
    """The MotherDuck stand-in (tests/standin/server.mjs): DuckDB behind the
    Postgres wire protocol, TLS with the test CA, the token as password.

    profile: the endpoint profile it starts under ("default" or "hostile");
    extra_args (e.g. ["--idle-close-s", "1"]) override the profile's switches.
    admin_token: a second password that the connection limit never counts
    (made up when not given); the tests' own psql/pqtool calls use it.
    Its files live in ROOT/md (default profile) or ROOT/md-PROFILE."""

    def __init__(self, root, crt, key, ca_crt, token, databases=DATABASES, default=None,
                 extra_args=(), profile="default", admin_token=None):
        if profile not in PROFILES:
            raise ValueError(f"unknown stand-in profile {profile!r} (one of {', '.join(PROFILES)})")
        self.root, self.crt, self.key, self.ca_crt, self.token = root, crt, key, ca_crt, token
        self.profile = profile
        self.admin_token = admin_token or ("mdadmin_" + secrets.token_hex(16))
        self.databases = list(databases)
        self.default = default or self.databases[0]
        self.extra_args = list(extra_args)
        self.dir = os.path.join(root, "md" if profile == "default" else f"md-{profile}")
        self.proc = None
        self.pid = None
        self.port = None
        self.control_port = None

    def start(self, port=None, control_port=None):
        if not os.path.isdir(os.path.join(STANDIN_DIR, "node_modules")):
            raise RuntimeError(f"run `npm ci` in {STANDIN_DIR} first (tests/run does)")
        os.makedirs(self.dir, exist_ok=True)
        locks = []
        if port is None:
            locks.append(PortLock())
            port = locks[-1].port
        if control_port is None:
            locks.append(PortLock())
            control_port = locks[-1].port
        self.port, self.control_port = port, control_port
        args = ["node", os.path.join(STANDIN_DIR, "server.mjs"), "--port", str(port),
                "--cert", self.crt, "--key", self.key, "--token", self.token,
                "--control-port", str(control_port), "--default", self.default,
                "--profile", self.profile, "--admin-token", self.admin_token]
        for db in self.databases:
            args += ["--db", f"{db}={os.path.join(self.dir, db + '.duckdb')}"]
        args += self.extra_args
        log = open(os.path.join(self.dir, "standin.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.pid = self.proc.pid
        try:
            self._wait_ready()
        finally:
            for lock in locks:
                lock.release()
        return self

    def _wait_ready(self):
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        buf = b""
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise TimeoutError("stand-in did not print READY; see " +
                                   os.path.join(self.dir, "standin.log"))
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError("stand-in exited; see " + os.path.join(self.dir, "standin.log"))
            buf += chunk
        sel.close()
        line = buf.split(b"\n", 1)[0].decode()
        if not line.startswith("READY"):
            raise RuntimeError(f"stand-in said {line!r} instead of READY")
        # Keep draining stdout so the server never blocks writing to it.
        self.proc.stdout.close()

    def source(self, dbname="md:"):
        return dsn(self.port, dbname, "mdfs", self.ca_crt)

    def control(self, **config):
        """POST /config with the given switches; returns the new config."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.control_port}/config",
                                     data=json.dumps(config).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def stats(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.control_port}/stats", timeout=10) as r:
            return json.load(r)

    def config(self):
        """GET /config: every switch's current value."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.control_port}/config", timeout=10) as r:
            return json.load(r)

    def stop(self):
        if self.pid:
            stop_pid(self.pid, signal.SIGTERM)
            self.pid = None
            self.proc = None

    def kill(self):
        """Kill abruptly (the endpoint dies); restart with start(self.port, self.control_port)."""
        if self.pid:
            stop_pid(self.pid, signal.SIGKILL)
            self.pid = None
            self.proc = None


class Testbed:
    """Both servers plus the CA under one directory. `md` is the stand-in
    started by start(); standin(profile) starts (once) and returns one per
    further profile, all with the same token and admin token."""

    def __init__(self, root, token=None):
        self.root = os.path.abspath(root)
        os.makedirs(self.root, exist_ok=True)
        os.chmod(self.root, 0o755)  # the postgres user must reach DIR/pg
        tokfile = os.path.join(self.root, "token")
        if token is None and os.path.exists(tokfile):
            with open(tokfile) as f:
                token = f.read().strip()
        self.token = token or ("mdtest_" + secrets.token_hex(16))
        with open(os.open(tokfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(self.token + "\n")
        admfile = os.path.join(self.root, "admin_token")
        if os.path.exists(admfile):
            with open(admfile) as f:
                self.admin_token = f.read().strip()
        else:
            self.admin_token = "mdadmin_" + secrets.token_hex(16)
            with open(os.open(admfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
                f.write(self.admin_token + "\n")
        certs = os.path.join(self.root, "certs")
        os.makedirs(certs, exist_ok=True)
        os.chmod(certs, 0o755)
        self.ca_crt, self.crt, self.key = make_ca(certs)
        self.pg = None
        self.md = None
        self.standins = {}  # profile -> StandIn

    def standin(self, profile="default"):
        """The stand-in of this profile, started on first use."""
        if profile not in self.standins:
            self.standins[profile] = StandIn(self.root, self.crt, self.key, self.ca_crt, self.token,
                                             profile=profile, admin_token=self.admin_token).start()
        return self.standins[profile]

    def start(self, pg=True, md=True, profile="default"):
        try:
            if md:
                self.md = self.standin(profile)
            if pg:
                self.pg = Postgres(self.root, self.ca_crt, self.crt, self.key, self.token).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        for server in (*self.standins.values(), self.pg):
            if server:
                server.stop()

    def env(self):
        e = {"MDFS_TEST_CA": self.ca_crt, "MDFS_TEST_TOKEN": self.token,
             "MDFS_TEST_ADMIN_TOKEN": self.admin_token}
        if self.md:
            e["MDFS_TEST_MD_PROFILE"] = self.md.profile
            e["MDFS_TEST_MD_SOURCE"] = self.md.source()
            e["MDFS_TEST_MD_PORT"] = str(self.md.port)
            e["MDFS_TEST_MD_CONTROL"] = f"http://127.0.0.1:{self.md.control_port}"
        if self.pg:
            e["MDFS_TEST_PG_SOURCE"] = self.pg.source()
            e["MDFS_TEST_PG_PORT"] = str(self.pg.port)
        return e


def _cli():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start")
    s.add_argument("dir")
    s.add_argument("--no-pg", action="store_true")
    s.add_argument("--no-md", action="store_true")
    s.add_argument("--profile", choices=PROFILES, default="default",
                   help="the stand-in's endpoint profile (default: default)")
    t = sub.add_parser("stop")
    t.add_argument("dir")
    a = ap.parse_args()
    root = os.path.abspath(a.dir)
    state = os.path.join(root, "state.json")
    if a.cmd == "start":
        if os.path.exists(state):
            sys.exit(f"{root} already has running servers; run `testbed.py stop {root}` first")
        tb = Testbed(root).start(pg=not a.no_pg, md=not a.no_md, profile=a.profile)
        with open(state, "w") as f:
            json.dump({"pids": [[s.pid, int(sig)] for s, sig in
                                ((tb.md, signal.SIGTERM), (tb.pg, signal.SIGINT)) if s]}, f)
        with open(os.path.join(root, "env.sh"), "w") as f:
            for k, v in tb.env().items():
                f.write(f"export {k}='{v}'\n")
        print(os.path.join(root, "env.sh"))
    else:
        if not os.path.exists(state):
            return
        with open(state) as f:
            pids = json.load(f)["pids"]
        for pid, sig in pids:
            stop_pid(pid, sig)
        os.unlink(state)


if __name__ == "__main__":
    _cli()
