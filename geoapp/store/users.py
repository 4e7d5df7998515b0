"""Users who may write (planners, admins), kept in the instance GeoPackage (`users` table).
Passwords are stored as salted hashes (werkzeug's scrypt), never as text."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from geoapp.store import gpkg

ROLES = ("planner", "admin")
TABLE = "users"
NAME_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{2,40}")
MIN_PASSWORD = 8


@dataclass(frozen=True)
class User:
    name: str
    role: str

    # what Flask-Login asks of a user
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.name


def check_new_user(name: str, password: str, role: str) -> None:
    """ValueError saying what is wrong with a new user's name, password or role (either store)."""
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError("a user name is 2-40 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password has at least {MIN_PASSWORD} characters")


class UserStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        conn = gpkg.connect(self.path)
        try:
            gpkg.ensure_attribute_table(conn, TABLE, "name TEXT PRIMARY KEY, role TEXT NOT NULL, "
                                                     "password_hash TEXT NOT NULL", "people who may write")
        finally:
            conn.close()

    def create(self, name: str, password: str, role: str) -> User:
        """Add a user, or reset the password and role of an existing one."""
        check_new_user(name, password, role)
        conn = gpkg.connect(self.path)
        try:
            with gpkg.transaction(conn):
                conn.execute("INSERT INTO users (name, role, password_hash) VALUES (?,?,?) "
                             "ON CONFLICT(name) DO UPDATE SET role=excluded.role, password_hash=excluded.password_hash",
                             (name, role, generate_password_hash(password)))
        finally:
            conn.close()
        return User(name, role)

    def get(self, name: str) -> User | None:
        conn = gpkg.connect(self.path)
        try:
            row = conn.execute("SELECT name, role FROM users WHERE name=?", (name,)).fetchone()
        finally:
            conn.close()
        return User(row["name"], row["role"]) if row else None

    def check(self, name: str, password: str) -> User | None:
        """The user if `password` is theirs, else None."""
        conn = gpkg.connect(self.path)
        try:
            row = conn.execute("SELECT name, role, password_hash FROM users WHERE name=?", (name,)).fetchone()
        finally:
            conn.close()
        if row and check_password_hash(row["password_hash"], password):
            return User(row["name"], row["role"])
        return None
