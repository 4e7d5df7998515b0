"""Small helpers for tests and benches that start servers: a free port on 127.0.0.1 and a
process's children (gunicorn's workers)."""
from __future__ import annotations

import os
import socket
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """The process ids `pid` started (a gunicorn parent's workers), as Linux lists them."""
    listed = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in listed.read_text().split()] if listed.exists() else []


def running(marker: str, environment: dict[str, str] | None = None) -> list[int]:
    """The processes whose command line holds `marker` (renderers, say), as Linux lists them;
    with `environment`, only those started with those settings (this test's instance folder,
    not another test run's on the same machine)."""
    wanted = [f"{name}={value}".encode() for name, value in (environment or {}).items()]
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                settings = (entry / "environ").read_bytes().split(b"\0") if wanted and marker in command else []
            except OSError:
                continue
            if marker in command and all(w in settings for w in wanted):
                found.append(int(entry.name))
    return found


@contextmanager
def gunicorn(env: dict, log: Path, workers: int = 1):
    """gunicorn serving the app (the repository's gunicorn.conf.py) on a free port of 127.0.0.1,
    in processes of its own (a client in this process that holds the GIL, as GDAL does, cannot
    starve it); yields its base URL once /healthz answers."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    root = Path(__file__).resolve().parents[1]
    port = free_port()
    with open(log, "w") as out:
        master = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-b",
                                   f"127.0.0.1:{port}", "geoapp.wsgi:app"], env={**os.environ, **env}, cwd=root,
                                  stdout=out, stderr=out)
        try:
            for _ in range(1200):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    if master.poll() is not None:
                        raise RuntimeError(log.read_text()) from None
                    time.sleep(0.1)
            else:
                raise RuntimeError(log.read_text())
            yield f"http://127.0.0.1:{port}"
        finally:
            master.terminate()
            master.wait(30)


def holding(pid: int, folder: Path) -> bool:
    """Whether process `pid` has a file of `folder` open now (a renderer working holds its slot's
    lock file open; one that has finished and is exiting has let it go)."""
    folder = folder.resolve()
    try:
        return any(Path(f"/proc/{pid}/fd/{fd}").readlink().parent == folder for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:   # gone meanwhile
        return False
