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


# Another user is needed to show what the kernel lets it do; the tests run as
# root (tests/run, .ci/run), which may also mount with allow_other without
# user_allow_other in /etc/fuse.conf (only non-root mounters need that).
pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="needs root: to act as user nobody (setpriv) and to "
                                       "mount with allow_other without user_allow_other")

NOBODY = 65534


def as_nobody(*cmd):
    return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd],
                          capture_output=True, text=True)


def reachable_source(tmp_path, m):
    """A CSV file user nobody can read, and a mount point it can reach (its
    refusals must come from the mount's modes, not from the way there)."""
    src = tmp_path / "small.csv"
    src.write_text(SMALL)
    d = os.path.dirname(m.path())
    while d not in ("/", "/tmp"):
        os.chmod(d, os.stat(d).st_mode | 0o011)
        d = os.path.dirname(d)
    os.chmod(tmp_path, 0o755)
    os.chmod(src, 0o644)
    return src


def test_modes_are_true_and_other_users_cannot_write(server, mount_factory, tmp_path):
    server.psql("DROP SCHEMA IF EXISTS perms CASCADE", dbname="shop")
    m = mount_factory(server, opts=("allow_other",),
                      allowed_stderr=("loaded ", "not loaded", "load ", "failed", "warning"))
    os.mkdir(m.path("shop", "perms"))
    src = reachable_source(tmp_path, m)
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


def test_uid_and_umask_let_another_user_write(server, mount_factory, tmp_path):
    """FUSE's own uid=/gid=/umask= options (mdfs(1) PERMISSIONS): with the
    files owned by nobody, or with every mode opened by umask=0, nobody can
    load a table and create a schema; what is read-only stays refused by
    mdfs itself (a Parquet file is never written)."""
    server.psql("DROP SCHEMA IF EXISTS perms_uid CASCADE; DROP SCHEMA IF EXISTS perms_umask CASCADE",
                dbname="shop")
    allowed = ("loaded ", "not loaded", "load ", "failed", "warning")
    for opts, schema in ((("allow_other", f"uid={NOBODY}", f"gid={NOBODY}"), "perms_uid"),
                         (("allow_other", "umask=0000"), "perms_umask")):
        m = mount_factory(server, opts=opts, allowed_stderr=allowed)
        src = reachable_source(tmp_path, m)
        r = as_nobody("mkdir", m.path("shop", schema))
        assert r.returncode == 0, (opts, r)
        table = m.path("shop", schema, "t.csv")
        r = as_nobody("cp", str(src), table)
        assert r.returncode == 0, (opts, r)
        rows = server.psql(f"SELECT count(*) FROM {schema}.t", dbname="shop",
                           args=("-A", "-t")).stdout.strip()
        assert rows == "3", (opts, rows)
        r = as_nobody("cp", str(src), m.path("shop", schema, "t.parquet"))
        assert r.returncode != 0, (opts, r)
        m.stop()
