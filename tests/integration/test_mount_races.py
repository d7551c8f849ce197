"""Races through a real mount of the ASan build, on both servers: changes made
while other processes list and stat the same directory. Every loop is
bounded; a use-after-free makes the daemon's ASan report fail the test (the
lookups see the mount die; the mount's stderr is checked when it stops).

A rename holds the kernel's lock on its directory, so a readdir or a lookup
of an uncached name waits for it; what runs beside a rename is a stat of a
name the kernel has cached (attributes are never cached: each stat reaches
the daemon). The stat loops below are that."""
import errno
import os
import subprocess
import threading

SAVES = 30            # editor-style saves: a temp file renamed over the table file (a load)
BACKUP_RENAMES = 100  # after each save, spool-only renames (a backup file rotated)


class Lookups:
    """Other processes looking at directory d while the test changes it:
    `ls -l` in a loop, and threads that stat the given names in a loop. A name
    that is missing at the moment is fine, and so is ESTALE: libfuse's
    path-based API answers it for a stat that reached the daemon by the
    node a rename has just replaced (the kernel retries once, a second
    rename can beat the retry). Any other failure (the daemon gone:
    ENOTCONN, ECONNABORTED) is kept."""

    def __init__(self, d, names, threads=3):
        self.d = d
        self.paths = [os.path.join(d, n) for n in names]
        self.stop = threading.Event()
        self.errors = []
        self.stats = 0
        self.threads = [threading.Thread(target=self.stat_loop) for _ in range(threads)]
        self.threads.append(threading.Thread(target=self.ls_loop))

    def stat_loop(self):
        while not self.stop.is_set():
            for p in self.paths:
                try:
                    os.stat(p)
                    self.stats += 1
                except OSError as e:
                    if e.errno in (errno.ENOENT, errno.ESTALE):
                        continue
                    self.errors.append(f"stat {p}: {e}")
                    return

    def ls_loop(self):
        while not self.stop.is_set():
            r = subprocess.run(["ls", "-l", self.d], capture_output=True, text=True, timeout=60)
            bad = [ln for ln in r.stderr.splitlines()
                   if "No such file or directory" not in ln and "Stale file handle" not in ln]
            if r.returncode not in (0, 1) or bad:
                self.errors.append(f"ls -l exited {r.returncode}: {r.stderr}")
                return

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(120)
        assert not any(t.is_alive() for t in self.threads), "a lookup hung"


def test_renames_while_listing_and_stating(server, mount_factory):
    """An editor saves through a temp file renamed over the table file (each
    save loads the table) and rotates a spool-only backup file by rename,
    while `ls -l` and stat loop in the same directory."""
    server.psql("DROP SCHEMA IF EXISTS races CASCADE", dbname="shop")
    m = mount_factory(server, asan=True, allowed_stderr=("loaded ",))
    os.mkdir(m.path("shop", "races"))
    d = m.path("shop", "races")
    with open(os.path.join(d, "notes.txt"), "w") as f:
        f.write("kept in the spool\n")
    a, b = os.path.join(d, "backup.txt"), os.path.join(d, "backup.txt~")
    with open(a, "w") as f:
        f.write("backup\n")
    lookups = Lookups(d, ["notes.txt", "edit.csv", "edit.parquet", "backup.txt", "backup.txt~"])
    with lookups as lk:
        for i in range(SAVES):
            rows = "".join(f"{j},v{j}\n" for j in range(i + 1))
            tmp = os.path.join(d, f".edit.csv.{i}.tmp")
            with open(tmp, "w") as f:
                f.write("id,name\n" + rows)
            os.rename(tmp, os.path.join(d, "edit.csv"))
            for _ in range(BACKUP_RENAMES):
                if lk.errors:
                    break
                os.rename(a, b)
                a, b = b, a
            if lk.errors:
                break
    assert not lk.errors, f"{lk.errors[0]}\n--- mdfs stderr:\n{m.stderr()}"
    assert lk.stats > 0
    names = sorted(os.listdir(d))
    assert names == ["backup.txt", "edit.csv", "edit.parquet", "edit.sql", "notes.txt"], names
    with open(os.path.join(d, "backup.txt")) as f:
        assert f.read() == "backup\n"
    r = server.psql("SELECT count(*), max(id) FROM races.edit", dbname="shop", args=("-A", "-t"))
    assert r.stdout.strip() == f"{SAVES}|{SAVES - 1}"
