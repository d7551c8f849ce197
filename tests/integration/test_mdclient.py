"""The C integration tests of mdclient (tests/c/test_*.c that need a server),
each run against both servers, in the ASan/UBSan build, and under valgrind
(no definite or indirect leaks, no memory errors)."""
import shutil
import subprocess

import pytest

from conftest import build_path, default_profile_only

PROGRAMS = ["test_catalog", "test_stream", "test_seed"]


def run(server, argv, timeout=600, valgrind=False, **env):
    r = subprocess.run(argv, env=(server.valgrind_env if valgrind else server.env)(**env), capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{argv[-1]} on {server.engine} failed:\n{r.stdout}\n{r.stderr}"
    assert " 0 failed" in r.stdout
    return r


@pytest.mark.parametrize("program", PROGRAMS)
def test_program(server, program):
    run(server, [build_path("tests", "c", program)])


@pytest.mark.parametrize("program", PROGRAMS)
def test_program_asan(server, program):
    run(server, [build_path("tests", "c", program, asan=True)])


# valgrind looks for memory errors, on the default profile only: the hostile
# profile's paths run under ASan above, and valgrind would add minutes.
@default_profile_only()
@pytest.mark.parametrize("program", PROGRAMS)
def test_program_valgrind(server, program):
    valgrind = shutil.which("valgrind")
    assert valgrind, "valgrind is not installed (tests/install-deps installs it)"
    run(server, [valgrind, "-q", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
                 "--show-leak-kinds=definite,indirect", "--error-exitcode=97",
                 build_path("tests", "c", program)], valgrind=True, MDFS_TEST_VALGRIND="1")
