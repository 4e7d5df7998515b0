"""Small helpers for tests and benches that start servers: a free port on 127.0.0.1 and a
process's children (gunicorn's workers)."""
from __future__ import annotations

import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """The process ids `pid` started (a gunicorn parent's workers), as Linux lists them."""
    listed = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in listed.read_text().split()] if listed.exists() else []


def running(marker: str) -> list[int]:
    """The processes whose command line holds `marker` (renderers, say), as Linux lists them."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in command:
                found.append(int(entry.name))
    return found
