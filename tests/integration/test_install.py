"""mdfs as a system tool: `meson install`, then `mount -t fuse.mdfs` and an
fstab line, as an administrator would use it. Installs into the default
prefix (/usr/local), which is why tests/run runs as root."""
import os
import subprocess

import pytest

import testbed as tb
from conftest import BUILD, is_mounted


@pytest.fixture(scope="module")
def installed():
    if os.geteuid() != 0:
        pytest.fail("these tests install mdfs and mount through mount(8): run them as root")
    r = subprocess.run(["meson", "install", "--no-rebuild", "-C", BUILD], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["man", "-w", "mdfs"], capture_output=True, text=True)
    assert r.returncode == 0 and "mdfs.1" in r.stdout


def check_and_unmount(mnt):
    try:
        assert is_mounted(str(mnt))
        assert "shop" in os.listdir(mnt)
        with open(os.path.join(mnt, "shop", "inst", "t.csv")) as f:
            assert f.read() == "a\n1\n2\n"
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)
    tb.wait_for(lambda: not is_mounted(str(mnt)), 10, "unmount")


@pytest.fixture
def setup(md, tmp_path):
    md.psql("CREATE SCHEMA IF NOT EXISTS inst; CREATE OR REPLACE TABLE inst.t AS SELECT * FROM (VALUES (1), (2)) v(a)",
            dbname="shop")
    tok = tmp_path / "token"
    tok.write_text(md.token + "\n")
    tok.chmod(0o600)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    opts = f"host=127.0.0.1,port={md.handle.port},sslrootcert={md.ca},token_file={tok}"
    env = {k: v for k, v in os.environ.items() if k not in ("MOTHERDUCK_TOKEN", "motherduck_token")}
    return mnt, opts, env


def test_mount_t_fuse_mdfs(installed, setup):
    mnt, opts, env = setup
    r = subprocess.run(["mount", "-t", "fuse.mdfs", "md:", str(mnt), "-o", opts],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    check_and_unmount(mnt)


def test_fstab_line(installed, setup, tmp_path):
    mnt, opts, env = setup
    fstab = tmp_path / "fstab"
    fstab.write_text(f"md: {mnt} fuse.mdfs noauto,{opts} 0 0\n")
    r = subprocess.run(["mount", "-T", str(fstab), str(mnt)], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    check_and_unmount(mnt)
