"""Users who may write (planners, admins, branch secretaries), kept in the instance GeoPackage (`users` table),
and the failed log-ins the throttle counts (`login_failures`).

Passwords are stored as salted hashes (werkzeug's scrypt), never as text. Checking a name
that does not exist costs as much as checking one that does (a dummy hash is checked), so
names cannot be found by timing. Each user has a session version: logging out raises it, and
a session cookie carrying an older version (one copied before the log-out) no longer works.
"""
from __future__ import annotations

import time
from pathlib import Path

from werkzeug.security import generate_password_hash

from geoapp.store import gpkg
from geoapp.store.base import User, check_new_user, created, password_matches
from geoapp.store.schema import migrate_sqlite


class GeoPackageUserStore:
    """The `geoapp.store.base.UserStore` of an instance GeoPackage."""

    def __init__(self, path: Path):
        self.path = Path(path)
        conn = gpkg.connect(self.path)
        try:
            migrate_sqlite(conn)
        finally:
            conn.close()

    def _run(self, sql: str, params=(), write: bool = False):
        conn = gpkg.connect(self.path)
        try:
            if write:
                with gpkg.transaction(conn):
                    return conn.execute(sql, params).rowcount
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def create(self, name: str, password: str, role: str, branch: str = "") -> User:
        """Add a user, or reset the password, role and branch of an existing one (which ends
        their sessions)."""
        check_new_user(name, password, role, branch)
        self._run("INSERT INTO users (name, role, password_hash, branch) VALUES (?,?,?,?) ON CONFLICT(name) DO UPDATE "
                  "SET role=excluded.role, password_hash=excluded.password_hash, branch=excluded.branch, "
                  "session_version=session_version+1",
                  (name, role, generate_password_hash(password), branch), write=True)
        return created(self.get(name))

    def get(self, name: str) -> User | None:
        rows = self._run("SELECT name, role, session_version, branch FROM users WHERE name=?", (name,))
        return User(rows[0]["name"], rows[0]["role"], rows[0]["session_version"], rows[0]["branch"]) if rows else None

    def check(self, name: str, password: str) -> User | None:
        """The user if `password` is theirs, else None (in the same time either way)."""
        rows = self._run("SELECT name, role, session_version, branch, password_hash FROM users WHERE name=?", (name,))
        row = rows[0] if rows else None
        if password_matches(row["password_hash"] if row else None, password) and row:
            return User(row["name"], row["role"], row["session_version"], row["branch"])
        return None

    def end_sessions(self, name: str) -> None:
        """Every session of `name` issued so far stops working."""
        self._run("UPDATE users SET session_version = session_version + 1 WHERE name=?", (name,), write=True)

    # the log-in throttle's memory ----------------------------------------------------------------
    def record_failure(self, subjects: list[str], window_s: float) -> None:
        """Note a failed log-in against each subject ('name:ann', 'address:10.0.0.1'); forget
        failures older than `window_s`."""
        now = time.time()
        conn = gpkg.connect(self.path)
        try:
            with gpkg.transaction(conn):
                conn.execute("DELETE FROM login_failures WHERE at < ?", (now - window_s,))
                conn.executemany("INSERT INTO login_failures VALUES (?, ?)", [(s, now) for s in subjects])
        finally:
            conn.close()

    def failures(self, subject: str, window_s: float) -> tuple[int, float | None]:
        """(failures of `subject` in the last `window_s` seconds, time of the oldest of them)."""
        row = self._run("SELECT COUNT(*) AS n, MIN(at) AS oldest FROM login_failures WHERE subject=? AND at >= ?",
                        (subject, time.time() - window_s))[0]
        return row["n"], row["oldest"]

    def clear_failures(self, subject: str) -> None:
        self._run("DELETE FROM login_failures WHERE subject=?", (subject,), write=True)
