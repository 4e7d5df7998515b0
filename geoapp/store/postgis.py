"""The same stores in PostGIS (SQLAlchemy 2 + GeoAlchemy2 + psycopg 3), used when DATABASE_URL
is set: for many users, many workers and many counties. Each one offers exactly the methods of
its GeoPackage twin (`layers.LayerStore`, `proposals.ProposalStore`, `users.UserStore`), so
nothing above the storage room knows which one it has.

Every write is one database transaction: a new layer version (its table, its history row and
the `current` pointer) is all there or not at all, and readers see the old version until the
commit.
"""
from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from werkzeug.security import check_password_hash, generate_password_hash

from geoapp.crs import STORAGE_CRS
from geoapp.layers import LAYERS, spec
from geoapp.store.layers import Progress, Version, checked_read, rollback, table_name
from geoapp.store.proposals import COLUMNS as PROPOSAL_COLUMNS
from geoapp.store.proposals import Proposal, check_changes
from geoapp.store.users import User, check_new_user

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE IF NOT EXISTS layer_versions (
  seq BIGSERIAL UNIQUE, layer TEXT NOT NULL, version INTEGER NOT NULL, created TEXT NOT NULL, who TEXT NOT NULL,
  source_file TEXT NOT NULL, rows INTEGER NOT NULL, checksum TEXT NOT NULL, note TEXT NOT NULL,
  PRIMARY KEY (layer, version));
CREATE TABLE IF NOT EXISTS layer_current (layer TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS proposals (
  fid SERIAL PRIMARY KEY, geom geometry(Geometry, 4326) NOT NULL, name TEXT NOT NULL, industry TEXT NOT NULL,
  notes TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, owner TEXT NOT NULL, created TEXT NOT NULL,
  updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL);
"""


def connect(url: str) -> Engine:
    """An engine on DATABASE_URL with geoapp's tables in place (postgresql:// means psycopg 3)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    engine = create_engine(url, pool_pre_ping=True)
    with engine.begin() as conn:
        for statement in filter(str.strip, SCHEMA.split(";")):
            conn.execute(text(statement))
    return engine


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class PostgisLayerStore:
    """Every version of every layer as its own table, `layer_versions`, `layer_current`."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.path = engine.url.render_as_string(hide_password=True)  # what messages call the store

    def exists(self) -> bool:
        return bool(self.current_versions())

    def stamp(self):
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM layer_versions")).scalar_one()

    def remove_stale_temporaries(self) -> list:
        return []  # a transaction leaves nothing behind

    def current_versions(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return dict(conn.execute(text("SELECT layer, version FROM layer_current")).all())

    def history(self, layer_id: str) -> list[Version]:
        spec(layer_id)
        current = self.current_versions().get(layer_id)
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT layer, version, created, who, source_file, rows, checksum, note "
                                     "FROM layer_versions WHERE layer = :layer ORDER BY version"),
                                {"layer": layer_id}).mappings().all()
        return [Version(**row, current=row["version"] == current) for row in rows]

    def read(self, layer_id: str, version: int | None = None, bbox=None, filters=None):
        layer, version = checked_read(self, layer_id, version, filters)
        clauses, params = [], {}
        for i, (name, value) in enumerate((filters or {}).items()):
            clauses.append(f'"{name}" = :v{i}')
            params[f"v{i}"] = value
        if bbox and not layer.is_table:
            clauses.append("ST_Intersects(geometry, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))")
            params.update(x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3])
        sql = f'SELECT * FROM "{table_name(layer_id, version)}"' + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
        with self.engine.connect() as conn:
            if layer.is_table:
                return pd.read_sql(text(sql), conn, params=params)
            return gpd.read_postgis(text(sql), conn, geom_col="geometry", params=params).set_crs(
                STORAGE_CRS, allow_override=True)

    def publish(self, frames: dict, who: str, source_files: dict[str, str], checksums: dict[str, str],
                note: str = "", progress: Progress | None = None) -> dict[str, int]:
        progress = progress or (lambda what, fraction: None)
        created = _now()
        with self.engine.begin() as conn:  # all the new versions, or none of them
            conn.execute(text("LOCK TABLE layer_current IN EXCLUSIVE MODE"))  # one writer at a time
            latest = dict(conn.execute(text("SELECT layer, MAX(version) FROM layer_versions GROUP BY layer")).all())
            versions = {layer: (latest.get(layer) or 0) + 1 for layer in frames}
            for i, (layer, frame) in enumerate(frames.items()):
                progress(f"writing {layer}", 0.1 + 0.8 * i / max(1, len(frames)))
                name = table_name(layer, versions[layer])
                if LAYERS[layer].is_table:
                    pd.DataFrame(frame).to_sql(name, conn, index=False)
                else:
                    frame = frame.to_crs(STORAGE_CRS)
                    if frame.geometry.name != "geometry":
                        frame = frame.rename_geometry("geometry")
                    frame.to_postgis(name, conn, index=False)
                conn.execute(text("INSERT INTO layer_versions (layer, version, created, who, source_file, rows, "
                                  "checksum, note) VALUES (:layer, :version, :created, :who, :source, :rows, "
                                  ":checksum, :note)"),
                             {"layer": layer, "version": versions[layer], "created": created, "who": who,
                              "source": source_files.get(layer, ""), "rows": len(frame),
                              "checksum": checksums.get(layer, ""), "note": note})
                conn.execute(text("INSERT INTO layer_current VALUES (:layer, :version) ON CONFLICT (layer) "
                                  "DO UPDATE SET version = excluded.version"),
                             {"layer": layer, "version": versions[layer]})
        progress("published", 1.0)
        return versions

    def rollback(self, layer_id: str, version: int, who: str) -> Version:
        return rollback(self, layer_id, version, who)


class PostgisProposalStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.path = engine.url.render_as_string(hide_password=True)

    @staticmethod
    def _proposal(row) -> Proposal:
        return Proposal(id=row["fid"], geometry=shapely.from_wkb(bytes.fromhex(row["wkb"])),
                        **{c: row[c] for c in PROPOSAL_COLUMNS})

    _SELECT = f"SELECT fid, ST_AsHEXEWKB(geom) AS wkb, {', '.join(PROPOSAL_COLUMNS)} FROM proposals"

    def list(self) -> list[Proposal]:
        with self.engine.connect() as conn:
            return [self._proposal(r) for r in conn.execute(text(self._SELECT + " ORDER BY fid")).mappings()]

    def get(self, proposal_id: int) -> Proposal | None:
        with self.engine.connect() as conn:
            row = conn.execute(text(self._SELECT + " WHERE fid = :fid"), {"fid": proposal_id}).mappings().first()
        return self._proposal(row) if row else None

    def create(self, name: str, industry: str, geometry: BaseGeometry, owner: str, notes: str = "",
               status: str = "draft") -> Proposal:
        now = _now()
        with self.engine.begin() as conn:
            new_id = conn.execute(text(
                "INSERT INTO proposals (geom, name, industry, notes, status, owner, created, updated) VALUES "
                "(ST_SetSRID(ST_GeomFromWKB(:wkb), 4326), :name, :industry, :notes, :status, :owner, :now, :now) "
                "RETURNING fid"), {"wkb": shapely.to_wkb(geometry), "name": name, "industry": industry,
                                   "notes": notes, "status": status, "owner": owner, "now": now}).scalar_one()
        return self.get(new_id)

    def update(self, proposal_id: int, **changes) -> Proposal | None:
        check_changes(changes)
        sets, params = ["updated = :updated"], {"updated": _now(), "fid": proposal_id}
        for key, value in changes.items():
            if key == "geometry":
                sets.append("geom = ST_SetSRID(ST_GeomFromWKB(:wkb), 4326)")
                params["wkb"] = shapely.to_wkb(value)
            else:
                sets.append(f"{key} = :{key}")
                params[key] = value
        with self.engine.begin() as conn:
            if conn.execute(text(f"UPDATE proposals SET {', '.join(sets)} WHERE fid = :fid"), params).rowcount == 0:
                return None
        return self.get(proposal_id)

    def delete(self, proposal_id: int) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(text("DELETE FROM proposals WHERE fid = :fid"), {"fid": proposal_id}).rowcount > 0

    def as_frame(self) -> gpd.GeoDataFrame:
        proposals = self.list()
        return gpd.GeoDataFrame([{"id": p.id, **{c: getattr(p, c) for c in PROPOSAL_COLUMNS}} for p in proposals],
                                geometry=[p.geometry for p in proposals], crs=STORAGE_CRS)


class PostgisUserStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def create(self, name: str, password: str, role: str) -> User:
        check_new_user(name, password, role)
        with self.engine.begin() as conn:
            conn.execute(text("INSERT INTO users VALUES (:name, :role, :hash) ON CONFLICT (name) DO UPDATE SET "
                              "role = excluded.role, password_hash = excluded.password_hash"),
                         {"name": name, "role": role, "hash": generate_password_hash(password)})
        return User(name, role)

    def get(self, name: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT name, role FROM users WHERE name = :name"), {"name": name}).first()
        return User(row.name, row.role) if row else None

    def check(self, name: str, password: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT name, role, password_hash FROM users WHERE name = :name"),
                               {"name": name}).first()
        if row and check_password_hash(row.password_hash, password):
            return User(row.name, row.role)
        return None
