"""Quiet pipeline commands: what the runner and its workers log goes to a file, not the terminal.

Beam's SDK workers, Prism and the job services they talk to write INFO lines to standard error
(a dozen per worker at start-up, more per stage), and a worker started as a subprocess
(``--direct_running_mode=multi_processing``, a local job server) inherits the launcher's standard
error, so no logging level in the launcher can hold them back. ``to_log_file`` therefore works at
the level of the file descriptor: for the duration of a run, standard error (fd 2) is a pipe that
the launcher reads. paxshare's own progress and summary lines (``[paxshare] ...``) go on to the
terminal; everything else goes to the log file. Every runner mode is covered the same way:
threads in the launcher, subprocess workers, and the processes of a local job server.

No Beam import here.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Iterator

#: lines starting with this are paxshare's own progress and summary lines: they stay on the terminal
PROGRESS_PREFIX = b"[paxshare]"

#: the log file's name in the output folder
LOG_FILE = "paxshare.log"


def log_path(output: str) -> str | None:
    """Where a run's log goes: ``<output>/paxshare.log`` for a local output folder (created owner-only,
    like the folder: a worker's error can quote a record); None for a remote one (gs://...), whose
    run keeps logging to the terminal."""
    if "://" in output:
        return None
    os.makedirs(output, mode=0o700, exist_ok=True)
    return os.path.join(output, LOG_FILE)


@contextlib.contextmanager
def to_log_file(path: str | None) -> Iterator[str | None]:
    """Within the block, standard error of this process and of every process it starts goes to
    ``path``, except paxshare's progress lines; ``path`` None: nothing changes."""
    if path is None:
        yield None
        return
    sys.stderr.flush()
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    terminal = os.dup(2)
    saved = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    copier = threading.Thread(target=_sort_lines, args=(read_end, terminal, log), daemon=True,
                              name="paxshare-log")
    copier.start()
    try:
        yield path
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # the launcher's last hold on the pipe: the copier sees its end once the
        os.close(saved)    # workers, which hold it too, have exited
        copier.join(timeout=3)


def _sort_lines(read_end: int, terminal: int, log: int) -> None:
    """Copy lines from the pipe: progress lines to the terminal, the rest to the log."""
    with os.fdopen(read_end, "rb", buffering=0) as pipe, \
            os.fdopen(terminal, "wb", buffering=0) as to_terminal, os.fdopen(log, "wb") as to_log:
        pending = b""
        while True:
            chunk = pipe.read(65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                (to_terminal if line.startswith(PROGRESS_PREFIX) else to_log).write(line + b"\n")
            to_log.flush()
        if pending:
            (to_terminal if pending.startswith(PROGRESS_PREFIX) else to_log).write(pending)
