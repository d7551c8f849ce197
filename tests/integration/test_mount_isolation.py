"""Issue 10, write isolation seen from other processes, on both servers: a
reader of a table that only exists once its first writer's load is done, and
more parallel loads than the pool has connections."""
import errno
import os
import subprocess
import threading

from test_mount_write import _rows_file, table_rows, wm  # noqa: F401 (wm: the shared writable mount)


def test_reader_of_a_new_table_during_its_first_write(wm, tmp_path):
    """While the first writer of a new table is still writing, another
    process that opens it gets ENOENT (there is no table yet), never a
    catalog error or EIO, and never the writer's bytes; the writer's close
    then loads its whole file."""
    path = os.path.join(wm.dir, "fresh_iso.csv")
    rows = _rows_file(tmp_path / "fresh.csv", "new", 1000)
    data = (tmp_path / "fresh.csv").read_bytes()
    with open(path, "wb", buffering=0) as f:
        f.write(data[:len(data) // 2])
        for argv in (["cat", path], ["head", "-c", "10", path]):
            r = subprocess.run(argv, capture_output=True, text=True)
            assert r.returncode != 0 and "No such file or directory" in r.stderr, (argv, r)
        try:
            open(path, "rb").close()
            raise AssertionError("a reader opened a table that does not exist yet")
        except OSError as e:
            assert e.errno == errno.ENOENT, e
        f.write(data[len(data) // 2:])
    assert table_rows(wm.server, "fresh_iso") == rows


def test_more_parallel_loads_than_connections_all_succeed(wm, tmp_path):
    """6 `cp` loads at once on a mount with 4 connections (the default): the
    loads wait for a connection (queue_timeout) instead of failing, and each
    table equals its own file."""
    n = 6
    expected = [_rows_file(tmp_path / f"par{i}.csv", f"p{i}_", 3000 + 500 * i) for i in range(n)]
    results = [None] * n

    def cp(i):
        results[i] = subprocess.run(["cp", str(tmp_path / f"par{i}.csv"),
                                     os.path.join(wm.dir, f"par{i}.csv")],
                                    capture_output=True, text=True, timeout=300)
    threads = [threading.Thread(target=cp, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    for i, r in enumerate(results):
        assert r is not None and r.returncode == 0, (i, r)
    for i in range(n):
        assert table_rows(wm.server, f"par{i}") == expected[i], i


def test_a_forked_childs_close_never_loads(wm, tmp_path):
    """A writer forks (a shell running a program with the file open): the
    child's close() of the inherited descriptor loads nothing; the writer's
    own close loads its whole file."""
    path = os.path.join(wm.dir, "forked.csv")
    rows = _rows_file(tmp_path / "forked.csv", "f", 2000)
    data = (tmp_path / "forked.csv").read_bytes()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, data[:len(data) // 2])
    pid = os.fork()
    if pid == 0:  # the child: close the inherited descriptor, report its result
        try:
            os.close(fd)
            os._exit(0)
        except OSError:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert table_rows(wm.server, "forked") is None  # half a file never loads
    os.write(fd, data[len(data) // 2:])
    os.close(fd)
    assert table_rows(wm.server, "forked") == rows
