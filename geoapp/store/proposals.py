"""Proposed industry bases, kept in the instance GeoPackage (`proposals` table), with every
change kept as a revision (`proposal_revisions`: who, when, what changed, the site before and
after) — the same records as the PostGIS twin in `geoapp.store.postgis`."""
from __future__ import annotations

import builtins
import json
from pathlib import Path

from shapely.geometry.base import BaseGeometry

from geoapp.store import gpkg
from geoapp.store.base import (
    COLUMNS,
    Proposal,
    Revision,
    check_changes,
    created,
    difference,
    now,
    revision_action,
)
from geoapp.store.schema import migrate_sqlite

TABLE = "proposals"


def _candidate(text: str):
    return json.loads(text) if text else None


class GeoPackageProposalStore:
    """The `geoapp.store.base.ProposalStore` of an instance GeoPackage: each write and its
    revision are one transaction."""

    def __init__(self, path: Path):
        self.path = Path(path)
        conn = gpkg.connect(self.path)
        try:
            migrate_sqlite(conn)
        finally:
            conn.close()

    def _connect(self):
        return gpkg.connect(self.path)

    @staticmethod
    def _proposal(row) -> Proposal:
        return Proposal(id=row["fid"], geometry=gpkg.decode(row["geom"]), candidate=_candidate(row["candidate"]),
                        **{c: row[c] for c in COLUMNS})

    @staticmethod
    def _record(conn, proposal_id: int, who: str, action: str, changes: dict, comment: str = "") -> None:
        conn.execute("INSERT INTO proposal_revisions (proposal_id, at, who, action, changes, comment) "
                     "VALUES (?,?,?,?,?,?)", (proposal_id, now(), who, action,
                                              json.dumps(changes, ensure_ascii=False), comment))

    def list(self) -> builtins.list[Proposal]:
        conn = self._connect()
        try:
            return [self._proposal(r) for r in conn.execute(f"SELECT * FROM {TABLE} ORDER BY fid")]
        finally:
            conn.close()

    def get(self, proposal_id: int) -> Proposal | None:
        conn = self._connect()
        try:
            row = conn.execute(f"SELECT * FROM {TABLE} WHERE fid=?", (proposal_id,)).fetchone()
            return self._proposal(row) if row else None
        finally:
            conn.close()

    def create(self, name: str, industry: str, geometry: BaseGeometry, owner: str, notes: str = "",
               status: str = "draft", candidate: dict | None = None) -> Proposal:
        conn = self._connect()
        try:
            with gpkg.transaction(conn):
                stamp = now()
                cursor = conn.execute(
                    f"INSERT INTO {TABLE} (geom, name, industry, notes, status, owner, created, updated, candidate) "
                    "VALUES (?,?,?,?,?,?,?,?,?)", (gpkg.encode(geometry), name, industry, notes, status, owner, stamp,
                                                   stamp, json.dumps(candidate, ensure_ascii=False) if candidate else ""))
                new_id = cursor.lastrowid
                self._record(conn, new_id, owner, "created", difference(None, {
                    "name": name, "industry": industry, "notes": notes, "status": status, "geometry": geometry}))
                gpkg.touch_contents(conn, TABLE)
        finally:
            conn.close()
        return created(self.get(new_id))

    def update(self, proposal_id: int, who: str, comment: str = "", **changes) -> Proposal | None:
        """Change some of the EDITABLE fields, recording a revision; None if there is no such
        proposal. A change that changes nothing records nothing."""
        check_changes(changes)
        conn = self._connect()
        try:
            with gpkg.transaction(conn):
                row = conn.execute(f"SELECT * FROM {TABLE} WHERE fid=?", (proposal_id,)).fetchone()
                if row is None:
                    return None
                found = difference(self._proposal(row), changes)
                if found or comment:
                    values = {("geom" if k == "geometry" else k): (
                        gpkg.encode(v) if k == "geometry" else json.dumps(v, ensure_ascii=False) if k == "candidate"
                        else v) for k, v in changes.items()}
                    values["updated"] = now()
                    conn.execute(f"UPDATE {TABLE} SET {', '.join(f'{k}=?' for k in values)} WHERE fid=?",
                                 (*values.values(), proposal_id))
                    self._record(conn, proposal_id, who, revision_action(changes), found, comment)
                    gpkg.touch_contents(conn, TABLE)
        finally:
            conn.close()
        return self.get(proposal_id)

    def delete(self, proposal_id: int, who: str = "") -> bool:
        conn = self._connect()
        try:
            with gpkg.transaction(conn):
                deleted = conn.execute(f"DELETE FROM {TABLE} WHERE fid=?", (proposal_id,)).rowcount
                if deleted:
                    self._record(conn, proposal_id, who, "deleted", {})
                gpkg.touch_contents(conn, TABLE)
        finally:
            conn.close()
        return bool(deleted)

    def revisions(self, proposal_id: int) -> builtins.list[Revision]:
        conn = self._connect()
        try:
            rows = conn.execute("SELECT * FROM proposal_revisions WHERE proposal_id=? ORDER BY id", (proposal_id,))
            return [Revision(r["id"], r["proposal_id"], r["at"], r["who"], r["action"], json.loads(r["changes"]),
                             r["comment"]) for r in rows]
        finally:
            conn.close()
