"""chDB in a process of its own, beside the runner.

chDB is ClickHouse as a library: in the runner's process its working set (a first load's blocks and
merges) would count as the runner's memory. A worker process holds the chDB engine instead and
answers queries over a pipe, so the runner's memory stays its own and the engine's can be measured
apart. The worker exits when the runner does: its pipe closes, and on Linux the kernel also sends it
SIGKILL when the thread that started it ends (start it from the main thread), so a killed runner
leaves no engine holding the data directory.
"""

import contextlib
import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class ChdbProcess:
    """A chDB engine at `path`, in a worker process (`python -m pipeline.chdb_worker`); `call` runs one
    query there. A plain subprocess, not multiprocessing: nothing of the runner is forked or re-imported.
    The worker starts at once and opens chDB while the runner goes on; the first call waits for it."""

    def __init__(self, path: str):
        ours, theirs = socket.socketpair()
        command = [sys.executable, "-m", "pipeline.chdb_worker", os.path.abspath(path), str(theirs.fileno())]
        self.process = subprocess.Popen(command, cwd=PACKAGE_ROOT, stdin=subprocess.DEVNULL, pass_fds=[theirs.fileno()])
        theirs.close()
        self.pipe = Connection(ours.detach())
        self.lock = threading.Lock()  # one query at a time on the pipe, from whichever thread
        self.opened = False  # the worker says whether chDB opened before the first answer

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def call(self, kind: str, query: str):
        """kind 'rows': the result rows; kind 'written': the number of rows written."""
        with self.lock:
            if not self.opened:
                self._reply()
                self.opened = True
            try:
                self.pipe.send((kind, query))
            except OSError:  # a broken pipe: the worker is gone
                self._stopped()
            return self._reply()

    def _reply(self):
        """The worker's next answer; its error, raised."""
        try:
            status, value = self.pipe.recv()
        except (EOFError, OSError):
            self._stopped()
        if status == "error":
            raise RuntimeError(value)
        return value

    def _stopped(self):
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        raise RuntimeError(f"the chDB worker stopped (exit code {code})") from None


def serve(path: str, pipe: Connection) -> None:
    """The worker: open chDB at path, then answer (kind, query) messages until the pipe closes. A
    runner that stopped early (an error elsewhere) closed it mid-answer: that ends the worker quietly."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides when to stop, not a Ctrl-C
    with contextlib.suppress(EOFError, OSError):
        answer_until_closed(path, pipe)


def answer_until_closed(path: str, pipe: Connection) -> None:
    if open_elsewhere(path):
        pipe.send(("error", f"chDB at {path} is open in another process (a scheduler on the same DATA_DIR?)"))
        return
    try:
        import chdb

        connection = chdb.connect(path)
    except Exception as error:
        pipe.send(("error", f"cannot open chDB at {path}: {error}"))
        return
    pipe.send(("ok", None))
    while True:
        try:
            kind, query = pipe.recv()
        except KeyboardInterrupt:
            return
        try:
            pipe.send(("ok", answer(connection, kind, query)))
        except Exception as error:
            pipe.send(("error", str(error)))


def open_elsewhere(path: str) -> bool:
    """Whether another process has chDB open at `path`: like a ClickHouse server, it holds an exclusive
    lock on <path>/status while open. Asked first, so that chDB does not print its own failure."""
    try:
        with open(os.path.join(path, "status"), "rb") as status:
            try:
                fcntl.flock(status, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(status, fcntl.LOCK_UN)
    except FileNotFoundError:
        pass
    return False


def answer(connection, kind: str, query: str):
    if kind == "written":
        return connection.query(query).rows_written()
    cursor = connection.cursor()
    try:
        cursor.execute(query)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def die_with_parent() -> None:
    """Linux: have the kernel kill this process when its parent dies (PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


if __name__ == "__main__":  # python -m pipeline.chdb_worker PATH FD, started by ChdbProcess
    serve(sys.argv[1], Connection(int(sys.argv[2])))
