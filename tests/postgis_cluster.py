"""A throw-away PostgreSQL + PostGIS cluster on 127.0.0.1 for the tests (fsync off, trust auth).

Debian's `initdb` refuses to run as root, so as root the cluster belongs to `postgres`."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.processes import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class PostgisCluster:
    def __init__(self):
        if not (BIN / "initdb").exists():
            raise RuntimeError("PostgreSQL 15 is not installed: run the tests with ./dev test, which installs "
                               "postgresql-15-postgis-3")
        self.folder = Path(tempfile.mkdtemp(prefix="geoapp-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        subprocess.run(_as_postgres([str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                                     "--no-sync", "-E", "UTF8"]), check=True, capture_output=True)
        subprocess.run(_as_postgres([str(BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l",
                                     str(self.folder / "log"), "-o",
                                     f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                                     "-c synchronous_commit=off -c full_page_writes=off", "start"]),
                       check=True, capture_output=True)
        self._databases = 0

    def new_database(self) -> str:
        """A fresh database with PostGIS; returns its DATABASE_URL."""
        self._databases += 1
        name = f"geoapp{self._databases}"
        subprocess.run(_as_postgres([str(BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                                     "postgres", name]), check=True, capture_output=True)
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def pause(self) -> None:
        """Stop the server, keeping its data (as a database server that goes down)."""
        subprocess.run(_as_postgres([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
                       capture_output=True, check=True)

    def resume(self) -> None:
        subprocess.run(_as_postgres([str(BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.folder / "log"),
                                     "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                                     "-c fsync=off", "start"]), check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run(_as_postgres([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)
