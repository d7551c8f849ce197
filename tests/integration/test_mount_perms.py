"""Issue 10 item 3: permissions that mean what they show. The mount uses
default_permissions: writable schema directories and table files show
writable modes owned by the mounting user (read-only things and `-o ro`
show read-only), and with allow_other another user can change nothing the
modes do not let it."""
import os
import stat
import subprocess

import pytest

SMALL = "id,name\n1,one\n2,two\n3,three\n"


def as_nobody(*cmd):
    return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd],
                          capture_output=True, text=True)


def test_modes_are_true_and_other_users_cannot_write(server, mount_factory, tmp_path):
    server.psql("DROP SCHEMA IF EXISTS perms CASCADE", dbname="shop")
    m = mount_factory(server, opts=("allow_other",),
                      allowed_stderr=("loaded ", "not loaded", "load ", "failed", "warning"))
    os.mkdir(m.path("shop", "perms"))
    src = tmp_path / "small.csv"
    src.write_text(SMALL)
    # nobody must reach the mount point for its refusals to mean anything.
    d = os.path.dirname(m.path())
    while d not in ("/", "/tmp"):
        os.chmod(d, os.stat(d).st_mode | 0o011)
        d = os.path.dirname(d)
    os.chmod(tmp_path, 0o755)
    os.chmod(src, 0o644)
    table = m.path("shop", "perms", "t.csv")
    subprocess.run(["cp", str(src), table], check=True)

    st = os.stat(m.path("shop", "perms"))
    assert stat.S_IMODE(st.st_mode) == 0o755 and st.st_uid == os.getuid()
    st = os.stat(table)
    assert stat.S_IMODE(st.st_mode) == 0o644 and st.st_uid == os.getuid()
    assert stat.S_IMODE(os.stat(m.path()).st_mode) == 0o555

    # nobody can read (the modes say so) but not replace, create or mkdir.
    r = as_nobody("head", "-c", "7", table)
    assert r.returncode == 0 and r.stdout == "id,name", r.stderr
    r = as_nobody("cp", str(src), table)
    assert r.returncode != 0 and "Permission denied" in r.stderr, r
    r = as_nobody("cp", str(src), m.path("shop", "perms", "new.csv"))
    assert r.returncode != 0 and "Permission denied" in r.stderr, r
    r = as_nobody("mkdir", m.path("shop", "nobodys"))
    assert r.returncode != 0 and "Permission denied" in r.stderr, r
    assert "new.csv" not in os.listdir(m.path("shop", "perms"))
    assert "nobodys" not in os.listdir(m.path("shop"))

    # A read-only mount shows read-only modes.
    ro = mount_factory(server, opts=("ro",))
    assert stat.S_IMODE(os.stat(ro.path("shop", "perms")).st_mode) == 0o555
    assert stat.S_IMODE(os.stat(ro.path("shop", "perms", "t.csv")).st_mode) == 0o444
