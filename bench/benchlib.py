"""bench/benchlib.py - what every benchmark in bench/ shares: building mdfs,
running commands, a mount of `mdfs -f` stopped by PID, a /proc sampler of CPU
and RSS, and the report's small helpers. Imported by bench/read, bench/seed,
bench/parquet and bench/wan (each a script run by itself)."""
import datetime
import os
import platform
import resource
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "harness"))
import testbed  # noqa: E402

def say(msg):
    print(f"==> {msg}", file=sys.stderr, flush=True)


class Broke(Exception):
    """Something the benchmark needs did not work (exit 1)."""


def run(cmd, **kw):
    kw.setdefault("check", True)
    try:
        return subprocess.run(cmd, **kw)
    except subprocess.CalledProcessError as e:
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        raise Broke(f"{' '.join(map(str, cmd))[:200]} failed ({e.returncode}): {err.strip()[:2000]}")


def source_rev():
    """The commit, and whether fs/ or mdclient/ differ from it (what was built)."""
    rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no",
                            "--", "fs", "mdclient", "meson.build"],
                           capture_output=True, text=True).stdout.strip()
    return rev + (" + uncommitted changes in fs/ or mdclient/" if dirty else "")


def build(build_dir, do_build):
    mdfs = os.path.join(build_dir, "fs", "mdfs")
    say("installing what is missing (tests/install-deps)")
    # Their output goes to stderr with ours: stdout is the Markdown report.
    run([os.path.join(REPO, "tests", "install-deps")], stdout=sys.stderr)
    if not os.path.isdir(os.path.join(testbed.STANDIN_DIR, "node_modules")):
        say("npm ci (the stand-in's pinned packages)")
        run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=testbed.STANDIN_DIR,
            stdout=sys.stderr)
    if not do_build and os.path.exists(mdfs):
        return mdfs, "not rebuilt"
    if not os.path.exists(os.path.join(build_dir, "build.ninja")):
        say(f"meson setup {build_dir}")
        run([os.path.join(REPO, "tests", "setup-build"), build_dir, "-Dwerror=true"], cwd=REPO)
    say(f"ninja -C {build_dir}")
    r = subprocess.run(["ninja", "-C", build_dir], capture_output=True, text=True)
    if r.returncode != 0:
        if not os.path.exists(mdfs):
            raise Broke("build failed:\n" + r.stdout[-3000:] + r.stderr[-2000:])
        # Others may be mid-edit in fs/ or mdclient/: measure the last good binary.
        say("WARNING: ninja failed; measuring the existing binary")
        return mdfs, "ninja FAILED; existing binary measured"
    return mdfs, "rebuilt"


def proc_cpu(pid):
    """utime+stime of one process (all its threads), in seconds, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def proc_children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def proc_status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Sampler:
    """While running: the daemon's peak VmRSS (every 20 ms) and the CPU time of
    the daemon (if any) and of the server (the stand-in's process, or every
    PostgreSQL backend, including short-lived ones: each pid's last seen value
    counts)."""

    def __init__(self, mdfs_pid, server_pid, server_is_pg):
        self.mdfs_pid, self.server_pid, self.pg = mdfs_pid, server_pid, server_is_pg
        self.peak_rss_kb = 0
        self._stop = threading.Event()
        self._cpu0, self._cpu = {}, {}

    def _server_pids(self):
        return proc_children(self.server_pid) if self.pg else [self.server_pid]

    def _rss(self):
        if self.mdfs_pid:
            rss = proc_status_kb(self.mdfs_pid, "VmRSS")
            if rss:
                self.peak_rss_kb = max(self.peak_rss_kb, rss)

    def _tick(self, baseline=False):
        self._rss()
        for pid in ([self.mdfs_pid] if self.mdfs_pid else []) + self._server_pids():
            c = proc_cpu(pid)
            if c is None:
                continue
            if baseline:
                self._cpu0[pid] = c
            self._cpu[pid] = c

    def _loop(self):
        n = 0
        while not self._stop.wait(0.02):
            n += 1
            self._tick() if n % 5 == 0 else self._rss()

    def __enter__(self):
        self._busy0 = machine_busy()
        self._tick(baseline=True)
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self._tick()
        self.busy = machine_busy() - self._busy0

    def cpu(self):
        """(daemon CPU s, server CPU s) over the sampled interval."""
        d = {p: c - self._cpu0.get(p, 0.0) for p, c in self._cpu.items()}
        mdfs = d.pop(self.mdfs_pid, 0.0) if self.mdfs_pid else 0.0
        return mdfs, sum(d.values())


def machine_busy():
    """CPU seconds the whole machine spent busy (all CPUs), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Mount:
    """mdfs -f in the background on DIR; stopped by fusermount3 -u and its PID."""

    def __init__(self, mdfs, source, mnt, opts, env, log):
        self.mnt, self.proc = mnt, None
        os.makedirs(mnt, exist_ok=True)
        cmd = [mdfs, source, mnt, "-f"] + (["-o", ",".join(opts)] if opts else [])
        self.logf = open(log, "ab")
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=self.logf, start_new_session=True)
        self.pid = self.proc.pid
        try:
            testbed.wait_for(lambda: self.proc.poll() is not None or os.path.ismount(mnt), 30,
                             f"mdfs to mount {mnt}")
        except TimeoutError:
            self.stop()
            raise Broke(f"mdfs did not mount {mnt}; see {log}")
        if self.proc.poll() is not None:
            with open(log, errors="replace") as f:
                raise Broke(f"mdfs exited ({self.proc.returncode}): {f.read()[-1000:]}")

    def stop(self):
        if self.proc is None:
            return
        for attempt in range(20):
            if not os.path.ismount(self.mnt):
                break
            r = subprocess.run(["fusermount3", "-u", self.mnt], capture_output=True)
            if r.returncode == 0:
                break
            time.sleep(0.25)
        else:
            subprocess.run(["fusermount3", "-uz", self.mnt], capture_output=True)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            testbed.stop_pid(self.pid, signal.SIGTERM, timeout=10)
        self.proc = None
        self.logf.close()


def fmt_s(x):
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def verdict(ok):
    return "PASS" if ok else "MISS"


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    libpq = subprocess.run(["pkg-config", "--modversion", "libpq"], capture_output=True,
                           text=True).stdout.strip()
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    pgv = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"- date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}\n"
            f"- machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}, "
            f"{mem:.1f} GiB RAM, Linux {platform.release()}\n"
            f"- libpq {libpq}; {pgv}; node {node}")
