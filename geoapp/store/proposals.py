"""Proposed industry bases, kept in the instance GeoPackage (`proposals` table)."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from geoapp.store import gpkg
from geoapp.store.schema import migrate_sqlite

STATUSES = ("draft", "submitted", "approved", "rejected")
TABLE = "proposals"
COLUMNS = ("name", "industry", "notes", "status", "owner", "created", "updated")


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

    def as_feature(self) -> dict:
        return {"type": "Feature", "id": self.id, "geometry": json.loads(shapely.to_geojson(self.geometry)),
                "properties": {c: getattr(self, c) for c in COLUMNS}}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def check_changes(changes: dict) -> None:
    """ValueError naming any field a proposal update may not change (either store)."""
    unknown = set(changes) - {"name", "industry", "notes", "status", "geometry"}
    if unknown:
        raise ValueError(f"cannot change {', '.join(sorted(unknown))}")


class GeoPackageProposalStore:
    """The `geoapp.store.interface.ProposalStore` of an instance GeoPackage: each write is one
    transaction."""

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
        return Proposal(id=row["fid"], geometry=gpkg.decode(row["geom"]), **{c: row[c] for c in COLUMNS})

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
               status: str = "draft") -> Proposal:
        conn = self._connect()
        try:
            with gpkg.transaction(conn):
                now = _now()
                cursor = conn.execute(
                    f"INSERT INTO {TABLE} (geom, name, industry, notes, status, owner, created, updated) "
                    "VALUES (?,?,?,?,?,?,?,?)", (gpkg.encode(geometry), name, industry, notes, status, owner, now, now))
                gpkg.touch_contents(conn, TABLE)
                new_id = cursor.lastrowid
        finally:
            conn.close()
        return self.get(new_id)

    def update(self, proposal_id: int, **changes) -> Proposal | None:
        """Change some of name, industry, notes, status, geometry; None if there is no such proposal."""
        check_changes(changes)
        conn = self._connect()
        try:
            with gpkg.transaction(conn):
                if not conn.execute(f"SELECT 1 FROM {TABLE} WHERE fid=?", (proposal_id,)).fetchone():
                    return None
                values = {("geom" if k == "geometry" else k): (gpkg.encode(v) if k == "geometry" else v)
                          for k, v in changes.items()}
                values["updated"] = _now()
                assignments = ", ".join(f"{k}=?" for k in values)
                conn.execute(f"UPDATE {TABLE} SET {assignments} WHERE fid=?", (*values.values(), proposal_id))
                gpkg.touch_contents(conn, TABLE)
        finally:
            conn.close()
        return self.get(proposal_id)

    def delete(self, proposal_id: int) -> bool:
        conn = self._connect()
        try:
            with gpkg.transaction(conn):
                deleted = conn.execute(f"DELETE FROM {TABLE} WHERE fid=?", (proposal_id,)).rowcount
                gpkg.touch_contents(conn, TABLE)
        finally:
            conn.close()
        return bool(deleted)

    def as_frame(self) -> gpd.GeoDataFrame:
        """Every proposal as a GeoDataFrame (EPSG:4326), for export and maps."""
        proposals = self.list()
        return gpd.GeoDataFrame([{"id": p.id, **{c: getattr(p, c) for c in COLUMNS}} for p in proposals],
                                geometry=[p.geometry for p in proposals], crs="EPSG:4326",
                                columns=["id", *COLUMNS, "geometry"] if not proposals else None)
