"""The branches' reports of their five days (`activity_reports`), with every change kept as a
revision (`activity_report_revisions`): one implementation for both backends, since the tables
hold no geometry and the SQL is the same in SQLite and PostgreSQL. What differs is how a
transaction is opened: `GeoPackageReports` (the instance GeoPackage, WAL) and `PostgisReports`.

A report is added row by row, not as a new version of the `branch_activities` layer: a version
is a whole copy of the table, and a county's branches send hundreds of reports a month. The
served data joins the two (`geoapp.data.load.with_reports`).
"""
from __future__ import annotations

import builtins
import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoapp.store import gpkg
from geoapp.store.base import REPORT_EDITABLE, REPORT_FIELDS, ActivityReport, Revision, created, now
from geoapp.store.schema import migrate_sqlite

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

_SELECT = ("SELECT fid, branch, date, kind, topic_zh, attendance, minutes, photos, who, at, removed "
           "FROM activity_reports")


class _Transaction:
    """What the reports need of a connection: run a statement with named parameters and get
    the rows as mappings."""

    def __init__(self, run):
        self._run = run

    def rows(self, sql: str, params: dict | None = None) -> list[dict]:
        return self._run(sql, params or {})

    def one(self, sql: str, params: dict | None = None) -> dict | None:
        rows = self.rows(sql, params)
        return rows[0] if rows else None


def _report(row: dict) -> ActivityReport:
    return ActivityReport(id=int(row["fid"]), branch=row["branch"], date=row["date"], kind=row["kind"],
                          topic_zh=row["topic_zh"], attendance=int(row["attendance"]), minutes=row["minutes"],
                          photos=tuple(p for p in row["photos"].split(",") if p), who=row["who"], at=row["at"],
                          removed=bool(row["removed"]))


def _stored(field: str, value: Any) -> Any:
    return ",".join(value) if field == "photos" else value


class ReportsSql:
    """The `geoapp.store.base.ActivityReportStore`, given a way to open a transaction."""

    def _transaction(self) -> contextlib.AbstractContextManager[_Transaction]:
        raise NotImplementedError

    def _record(self, tx: _Transaction, report_id: int, who: str, action: str, changes: dict) -> None:
        tx.rows("INSERT INTO activity_report_revisions (report_id, at, who, action, changes) "
                "VALUES (:r, :at, :who, :action, :changes)",
                {"r": report_id, "at": now(), "who": who, "action": action,
                 "changes": json.dumps(changes, ensure_ascii=False)})

    def latest(self) -> int:
        """The number of the latest revision (0 before the first report)."""
        with self._transaction() as tx:
            row = tx.one("SELECT COALESCE(MAX(id), 0) AS latest FROM activity_report_revisions")
        return int(row["latest"]) if row else 0

    def stamp(self) -> object:
        """What changes whenever a report is added, changed or removed (asked at every request)."""
        return self.latest()

    def _changed(self) -> None:
        """Called after each write's commit."""

    def add(self, who: str, client_key: str | None = None, **fields: Any) -> tuple[ActivityReport, bool]:
        unknown = set(fields) - set(REPORT_FIELDS)
        if unknown:
            raise ValueError(f"a report has no {', '.join(sorted(unknown))}")
        values = {f: _stored(f, fields.get(f, "" if f in ("minutes", "photos") else None)) for f in REPORT_FIELDS}
        with self._transaction() as tx:
            if client_key:
                before = tx.one(_SELECT + " WHERE who = :who AND client_key = :key", {"who": who, "key": client_key})
                if before is not None:
                    return _report(before), False
            row = tx.one(f"INSERT INTO activity_reports ({', '.join(REPORT_FIELDS)}, who, at, client_key) VALUES "
                         f"({', '.join(':' + f for f in REPORT_FIELDS)}, :who, :at, :key) RETURNING fid",
                         {**values, "who": who, "at": now(), "key": client_key or None})
            report_id = int(row["fid"]) if row else 0
            self._record(tx, report_id, who, "created", {f: [None, fields.get(f)] for f in REPORT_FIELDS
                                                         if fields.get(f) not in (None, "", ())})
        self._changed()
        return created(self.get(report_id)), True

    def update(self, report_id: int, who: str, **changes: Any) -> ActivityReport | None:
        """Change some of REPORT_EDITABLE, recording what changed; None if there is no such report."""
        unknown = set(changes) - set(REPORT_EDITABLE)
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))}")
        with self._transaction() as tx:
            row = tx.one(_SELECT + " WHERE fid = :fid", {"fid": report_id})
            if row is None:
                return None
            before = _report(row)
            found = {f: [getattr(before, f) if f != "photos" else list(before.photos),
                         list(v) if f == "photos" else v]
                     for f, v in changes.items() if (tuple(v) if f == "photos" else v) != getattr(before, f)}
            if found:
                tx.rows(f"UPDATE activity_reports SET {', '.join(f'{f} = :{f}' for f in found)} WHERE fid = :fid",
                        {**{f: _stored(f, changes[f]) for f in found}, "fid": report_id})
                self._record(tx, report_id, who, "edited", found)
        self._changed()
        return self.get(report_id)

    def remove(self, report_id: int, who: str) -> ActivityReport | None:
        """Take a report out of the served data; it stays in the store with its revisions."""
        with self._transaction() as tx:
            row = tx.one(_SELECT + " WHERE fid = :fid", {"fid": report_id})
            if row is None:
                return None
            if not row["removed"]:
                tx.rows("UPDATE activity_reports SET removed = 1 WHERE fid = :fid", {"fid": report_id})
                self._record(tx, report_id, who, "removed", {"removed": [False, True]})
        self._changed()
        return self.get(report_id)

    def get(self, report_id: int) -> ActivityReport | None:
        with self._transaction() as tx:
            row = tx.one(_SELECT + " WHERE fid = :fid", {"fid": report_id})
        return _report(row) if row else None

    def list(self, include_removed: bool = False) -> builtins.list[ActivityReport]:
        with self._transaction() as tx:
            rows = tx.rows(_SELECT + ("" if include_removed else " WHERE removed = 0") + " ORDER BY fid")
        return [_report(r) for r in rows]

    def revisions(self, report_id: int) -> builtins.list[Revision]:
        with self._transaction() as tx:
            rows = tx.rows("SELECT * FROM activity_report_revisions WHERE report_id = :r ORDER BY id", {"r": report_id})
        return [Revision(r["id"], r["report_id"], r["at"], r["who"], r["action"], json.loads(r["changes"]))
                for r in rows]


class GeoPackageReports(ReportsSql):
    """The reports in the instance GeoPackage (`geoapp.gpkg`). Every request asks whether they
    changed: a marker file beside the GeoPackage, rewritten after each write, answers without
    opening it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.marker = self.path.with_name(self.path.name + ".reports")
        conn = gpkg.connect(self.path)
        try:
            migrate_sqlite(conn)
        finally:
            conn.close()

    def stamp(self) -> object:
        try:
            status = self.marker.stat()
        except FileNotFoundError:
            return None
        return status.st_ino, status.st_mtime_ns

    def _changed(self) -> None:
        temp = self.marker.with_name(f".{self.marker.name}.{os.getpid()}")
        temp.write_text(str(self.latest()), encoding="ascii")
        os.replace(temp, self.marker)  # a new inode each time: the stamp changes even within one clock tick

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[_Transaction]:
        conn = gpkg.connect(self.path)
        try:
            with gpkg.transaction(conn):
                yield _Transaction(lambda sql, params: [dict(r) for r in conn.execute(sql, params).fetchall()])
        finally:
            conn.close()


class PostgisReports(ReportsSql):
    """The reports in PostGIS."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[_Transaction]:
        from sqlalchemy import text

        def run(sql: str, params: dict) -> list[dict]:
            result = conn.execute(text(sql), params)
            return [dict(r) for r in result.mappings()] if result.returns_rows else []

        with self.engine.begin() as conn:
            yield _Transaction(run)
