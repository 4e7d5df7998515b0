"""The schema of the stores that change row by row (proposals, users, log-in attempts, the
branches' activity reports), as an
ordered list of migrations, applied once per store under a lock, whatever the number of
processes opening it at the same moment.

Each migration has the statements for the instance GeoPackage (`geoapp.gpkg`, SQLite) and for
PostGIS. Applied migrations are recorded in `geoapp_schema`; a store written by an earlier
release gets the ones it lacks when it is next opened. Add new ones at the end; never edit
one that has shipped. (Layer versions need no migrations: each version is its own table,
and a column added to the registry later is optional, so older versions still load.)
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy is imported by the PostGIS functions only: a GeoPackage app starts without it
    from sqlalchemy.engine import Engine

ADVISORY_LOCK = 511823_0001  # one number for "geoapp is changing its schema" in PostgreSQL


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "layer versions (PostGIS), proposals and users", sqlite=(
        "CREATE TABLE IF NOT EXISTS proposals (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB NOT NULL, "
        "name TEXT NOT NULL, industry TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, "
        "owner TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL)",
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
        "VALUES ('proposals', 'features', 'proposals', 'proposed industry bases', 4326)",
        "INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('proposals', 'geom', 'GEOMETRY', 4326, 0, 0)",
        "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL)",
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES ('users', 'attributes', 'users', 'people who may write')",
    ), postgres=(
        "CREATE TABLE IF NOT EXISTS layer_versions (seq BIGSERIAL UNIQUE, layer TEXT NOT NULL, version INTEGER NOT NULL, "
        "created TEXT NOT NULL, who TEXT NOT NULL, source_file TEXT NOT NULL, rows INTEGER NOT NULL, "
        "checksum TEXT NOT NULL, note TEXT NOT NULL, PRIMARY KEY (layer, version))",
        "CREATE TABLE IF NOT EXISTS layer_current (layer TEXT PRIMARY KEY, version INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS proposals (fid SERIAL PRIMARY KEY, geom geometry(Geometry, 4326) NOT NULL, "
        "name TEXT NOT NULL, industry TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, "
        "owner TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL)",
    )),
    Migration(2, "sessions end at log-out; failed log-ins are counted", sqlite=(
        "ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0",
        "CREATE TABLE login_failures (subject TEXT NOT NULL, at REAL NOT NULL)",
        "CREATE INDEX login_failures_subject ON login_failures (subject, at)",
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES ('login_failures', 'attributes', 'login_failures', 'failed log-ins, for the throttle')",
    ), postgres=(
        "ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0",
        "CREATE TABLE login_failures (subject TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX login_failures_subject ON login_failures (subject, at)",
    )),
    Migration(3, "proposals are reviewed and every change is kept as a revision", sqlite=(
        "ALTER TABLE proposals ADD COLUMN review_comment TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE proposals ADD COLUMN reviewer TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE proposals ADD COLUMN candidate TEXT NOT NULL DEFAULT ''",
        "CREATE TABLE proposal_revisions (id INTEGER PRIMARY KEY AUTOINCREMENT, proposal_id INTEGER NOT NULL, "
        "at TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL, changes TEXT NOT NULL, comment TEXT NOT NULL)",
        "CREATE INDEX proposal_revisions_proposal ON proposal_revisions (proposal_id, id)",
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES ('proposal_revisions', 'attributes', 'proposal_revisions', 'every change to a proposal')",
    ), postgres=(
        "ALTER TABLE proposals ADD COLUMN review_comment TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE proposals ADD COLUMN reviewer TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE proposals ADD COLUMN candidate TEXT NOT NULL DEFAULT ''",
        "CREATE TABLE proposal_revisions (id SERIAL PRIMARY KEY, proposal_id INTEGER NOT NULL, at TEXT NOT NULL, "
        "who TEXT NOT NULL, action TEXT NOT NULL, changes TEXT NOT NULL, comment TEXT NOT NULL)",
        "CREATE INDEX proposal_revisions_proposal ON proposal_revisions (proposal_id, id)",
    )),
    Migration(4, "branches report their five days; a branch user reports for one organisation", sqlite=(
        "ALTER TABLE users ADD COLUMN branch TEXT NOT NULL DEFAULT ''",
        "CREATE TABLE activity_reports (fid INTEGER PRIMARY KEY AUTOINCREMENT, branch TEXT NOT NULL, date TEXT NOT NULL, "
        "kind TEXT NOT NULL, topic_zh TEXT NOT NULL, attendance INTEGER NOT NULL, minutes TEXT NOT NULL DEFAULT '', "
        "photos TEXT NOT NULL DEFAULT '', who TEXT NOT NULL, at TEXT NOT NULL, removed INTEGER NOT NULL DEFAULT 0, "
        "client_key TEXT)",
        "CREATE UNIQUE INDEX activity_reports_client ON activity_reports (who, client_key)",
        "CREATE TABLE activity_report_revisions (id INTEGER PRIMARY KEY AUTOINCREMENT, report_id INTEGER NOT NULL, "
        "at TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL, changes TEXT NOT NULL)",
        "CREATE INDEX activity_report_revisions_report ON activity_report_revisions (report_id, id)",
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES ('activity_reports', 'attributes', 'activity_reports', 'the branches'' reports of their five days')",
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES ('activity_report_revisions', 'attributes', 'activity_report_revisions', 'every change to a report')",
    ), postgres=(
        "ALTER TABLE users ADD COLUMN branch TEXT NOT NULL DEFAULT ''",
        "CREATE TABLE activity_reports (fid SERIAL PRIMARY KEY, branch TEXT NOT NULL, date TEXT NOT NULL, "
        "kind TEXT NOT NULL, topic_zh TEXT NOT NULL, attendance INTEGER NOT NULL, minutes TEXT NOT NULL DEFAULT '', "
        "photos TEXT NOT NULL DEFAULT '', who TEXT NOT NULL, at TEXT NOT NULL, removed INTEGER NOT NULL DEFAULT 0, "
        "client_key TEXT)",
        "CREATE UNIQUE INDEX activity_reports_client ON activity_reports (who, client_key)",
        "CREATE TABLE activity_report_revisions (id SERIAL PRIMARY KEY, report_id INTEGER NOT NULL, "
        "at TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL, changes TEXT NOT NULL)",
        "CREATE INDEX activity_report_revisions_report ON activity_report_revisions (report_id, id)",
    )),
)

_RECORD = "CREATE TABLE IF NOT EXISTS geoapp_schema (version INTEGER PRIMARY KEY, description TEXT NOT NULL, " \
          "applied TEXT NOT NULL)"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def migrate_sqlite(conn: sqlite3.Connection, migrations=MIGRATIONS) -> list[int]:
    """Apply the migrations `conn`'s GeoPackage lacks, in one write transaction (SQLite lets one
    writer in at a time, so a second process waits and then finds them applied)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_RECORD)
        applied = {row[0] for row in conn.execute("SELECT version FROM geoapp_schema")}
        done = []
        for migration in migrations:
            if migration.version in applied:
                continue
            for statement in migration.sqlite:
                conn.execute(statement)
            conn.execute("INSERT INTO geoapp_schema VALUES (?, ?, ?)", (migration.version, migration.description, _now()))
            done.append(migration.version)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return done


def migrate_postgres(engine: Engine, migrations=MIGRATIONS) -> list[int]:
    """Create the PostGIS extension and apply the missing migrations, under an advisory lock
    held for the transaction: workers starting together take turns instead of colliding."""
    from sqlalchemy import text
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        conn.execute(text(_RECORD))
        applied = set(conn.execute(text("SELECT version FROM geoapp_schema")).scalars())
        done = []
        for migration in migrations:
            if migration.version in applied:
                continue
            for statement in migration.postgres:
                conn.execute(text(statement))
            conn.execute(text("INSERT INTO geoapp_schema VALUES (:v, :d, :t)"),
                         {"v": migration.version, "d": migration.description, "t": _now()})
            done.append(migration.version)
    return done


def postgres_lock(conn, key: int) -> None:
    """Hold PostgreSQL's advisory lock `key` until `conn`'s transaction ends."""
    from sqlalchemy import text
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
