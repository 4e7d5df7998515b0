"""Proposed industry bases, kept in the instance GeoPackage (`proposals` table), with every
change kept as a revision (`proposal_revisions`: who, when, what changed, the site before and
after) — the same records as the PostGIS twin in `geoapp.store.postgis`."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from geoapp.store import gpkg
from geoapp.store.schema import migrate_sqlite
from geoapp.workflow import STATUSES

TABLE = "proposals"
COLUMNS = ("name", "industry", "notes", "status", "owner", "created", "updated", "review_comment", "reviewer")
EDITABLE = ("name", "industry", "notes", "status", "geometry", "review_comment", "reviewer", "candidate")
__all__ = ["STATUSES", "Proposal", "Revision", "GeoPackageProposalStore"]


@dataclass(frozen=True)
class Proposal:
    id: int
    name: str
    industry: str
    notes: str
    status: str
    owner: str
    created: str
    updated: str
    geometry: BaseGeometry
    review_comment: str = ""
    reviewer: str = ""
    candidate: dict | None = None   # the ranked site it came from: rank, score, factors

    def as_feature(self) -> dict:
        return {"type": "Feature", "id": self.id, "geometry": json.loads(shapely.to_geojson(self.geometry)),
                "properties": {**{c: getattr(self, c) for c in COLUMNS}, "candidate": self.candidate}}


@dataclass(frozen=True)
class Revision:
    id: int
    proposal_id: int
    at: str
    who: str
    action: str                      # created, edited, moved (status), deleted
    changes: dict = field(default_factory=dict)   # field -> [before, after]; geometry as GeoJSON
    comment: str = ""

    def as_dict(self) -> dict:
        return {"id": self.id, "proposal": self.proposal_id, "at": self.at, "who": self.who, "action": self.action,
                "changes": self.changes, "comment": self.comment}


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def check_changes(changes: dict) -> None:
    """ValueError naming any field a proposal update may not change (either store)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"cannot change {', '.join(sorted(unknown))}")


def _geojson(geometry: BaseGeometry | None):
    return None if geometry is None else json.loads(shapely.to_geojson(geometry))


def difference(before: Proposal | None, changes: dict) -> dict:
    """What `changes` change in `before`: {field: [before, after]} (the site as GeoJSON)."""
    found = {}
    for key, value in changes.items():
        old = getattr(before, key) if before is not None else None
        if key == "geometry":
            if old is None or not old.equals_exact(value, 1e-9):
                found[key] = [_geojson(old), _geojson(value)]
        elif old != value:
            found[key] = [old, value]
    return found


def revision_action(changes: dict) -> str:
    return "moved" if "status" in changes else "edited"


def _candidate(text: str):
    return json.loads(text) if text else None


class GeoPackageProposalStore:
    """The `geoapp.store.interface.ProposalStore` of an instance GeoPackage: each write and its
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

    def list(self) -> list[Proposal]:
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
        return self.get(new_id)

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

    def revisions(self, proposal_id: int) -> list[Revision]:
        conn = self._connect()
        try:
            rows = conn.execute("SELECT * FROM proposal_revisions WHERE proposal_id=? ORDER BY id", (proposal_id,))
            return [Revision(r["id"], r["proposal_id"], r["at"], r["who"], r["action"], json.loads(r["changes"]),
                             r["comment"]) for r in rows]
        finally:
            conn.close()

    def as_frame(self) -> gpd.GeoDataFrame:
        """Every proposal as a GeoDataFrame (EPSG:4326), for export and maps."""
        return proposals_frame(self.list())


def proposals_frame(proposals: list[Proposal]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame([{"id": p.id, **{c: getattr(p, c) for c in COLUMNS}} for p in proposals],
                            geometry=[p.geometry for p in proposals], crs="EPSG:4326",
                            columns=["id", *COLUMNS, "geometry"] if not proposals else None)
