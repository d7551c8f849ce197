"""A bounded concurrency stress through a real mount of the ThreadSanitizer
build of the daemon (tests/run builds it as build/tsan): parallel readers of
CSV and Parquet files, renames while `ls -l` and stat loop, loads while the
same table is read, early closes and fstat sizes. Any ThreadSanitizer report
in the daemon's stderr fails the test, and so does any wrong byte a reader
gets."""
import os
import shutil
import threading

import pytest

from conftest import Mount, REPO
from test_mount_races import Lookups

ROWS = 20000
TSAN_BUILD = os.environ.get("MDFS_BUILD_TSAN", os.path.join(REPO, "build", "tsan"))


def tsan_mdfs():
    path = os.path.join(TSAN_BUILD, "fs", "mdfs")
    if not os.path.exists(path):
        pytest.fail(f"{path} is not built (tests/run builds it; or set MDFS_BUILD_TSAN)")
    return path


def setup_tables(server):
    if server.engine == "duckdb":
        gen = "SELECT range AS n, 'label ' || range AS label FROM range({n})"
    else:
        gen = "SELECT g AS n, 'label ' || g AS label FROM generate_series(0, {n} - 1) g"
    server.psql("DROP SCHEMA IF EXISTS tsan CASCADE; CREATE SCHEMA tsan; "
                f"CREATE TABLE tsan.big AS {gen.format(n=ROWS)}", dbname="shop")


class Workers:
    """Threads that each run a bounded job; the first failure of each is kept."""

    def __init__(self):
        self.threads, self.errors = [], []

    def add(self, name, fn, *args):
        def run():
            try:
                fn(*args)
            except Exception as e:  # noqa: BLE001 - every failure is reported
                self.errors.append(f"{name}: {e!r}")
        self.threads.append(threading.Thread(target=run, name=name))

    def run(self, timeout=300):
        for t in self.threads:
            t.start()
        for t in self.threads:
            t.join(timeout)
        hung = [t.name for t in self.threads if t.is_alive()]
        assert not hung, f"hung: {hung}"


def test_concurrency_stress_has_no_tsan_reports(server, tmp_path):
    setup_tables(server)
    env = {"TSAN_OPTIONS": "halt_on_error=0 exitcode=0 second_deadlock_stack=1 history_size=4"}
    m = Mount(server, tmp_path / "mnt", env=env)
    m.argv[0] = tsan_mdfs()
    m.start()
    try:
        d = m.path("shop", "tsan")
        with open(os.path.join(d, "big.csv"), "rb") as f:
            want = f.read()
        assert want.count(b"\n") == ROWS + 1
        # Two versions of one table, loaded in turn (the same inferred types).
        versions = []
        for k, rows in enumerate((50, 3000)):
            p = tmp_path / f"v{k}.csv"
            p.write_text("n,label\n" + "".join(f"{i},v{k} {i}\n" for i in range(rows)))
            versions.append(p)
        shutil.copyfile(versions[0], os.path.join(d, "loadme.csv"))

        def read_whole(name, times):
            for _ in range(times):
                with open(os.path.join(d, name), "rb") as f:
                    got = f.read()
                if name == "big.csv":
                    assert got == want, f"{len(got)} bytes, want {len(want)}"
                else:
                    assert got[:4] == b"PAR1" and got[-4:] == b"PAR1", "not a Parquet file"

        def early_closes(times):
            for i in range(times):
                with open(os.path.join(d, "big.csv"), "rb") as f:
                    if i % 4 == 0:  # the opener's second fstat (open() made one): the exact size
                        assert os.fstat(f.fileno()).st_size == len(want)
                    assert f.read(100) == want[:100]
                os.stat(os.path.join(d, "big.parquet"))

        def loads(times):
            for i in range(times):
                shutil.copyfile(versions[(i + 1) % 2], os.path.join(d, "loadme.csv"))

        def read_while_loading(times):
            # The table's Parquet file: a CSV reader would meet the writer's
            # spool (issue 10), not the table.
            for _ in range(times):
                read_whole("loadme.parquet", 1)
                os.stat(os.path.join(d, "loadme.parquet"))

        def editor_saves(saves, renames):
            a, b = os.path.join(d, "backup.txt"), os.path.join(d, "backup.txt~")
            with open(a, "w") as f:
                f.write("backup\n")
            for i in range(saves):
                tmp = os.path.join(d, f".edit.csv.{i}.tmp")
                with open(tmp, "w") as f:
                    f.write("id,name\n" + "".join(f"{j},v{j}\n" for j in range(i + 1)))
                os.rename(tmp, os.path.join(d, "edit.csv"))
                for _ in range(renames):
                    os.rename(a, b)
                    a, b = b, a

        w = Workers()
        for i in range(3):
            w.add(f"reader{i}", read_whole, "big.csv", 2)
        for i in range(2):
            w.add(f"parquet{i}", read_whole, "big.parquet", 2)
        w.add("early", early_closes, 12)
        w.add("loads", loads, 4)
        w.add("loadreader", read_while_loading, 8)
        w.add("editor", editor_saves, 6, 30)
        with Lookups(d, ["big.csv", "big.parquet", "edit.csv", "backup.txt", "backup.txt~",
                         "loadme.csv"], threads=2) as lk:
            w.run()
        assert not w.errors, "\n".join(w.errors) + "\n--- mdfs stderr:\n" + m.stderr()[-5000:]
        assert not lk.errors, lk.errors[0]
        assert lk.stats > 0
    finally:
        proc = m.proc
        m.stop(check=False)
    with open(m.stderr_path) as f:
        err = f.read()
    reports = err.count("WARNING: ThreadSanitizer")
    assert reports == 0, f"{reports} ThreadSanitizer reports:\n{err[:20000]}"
    assert proc.returncode == 0, err[-3000:]
    assert err.count("mdfs: notice: loaded ") == 1 + 6 + 4, err[-3000:]
