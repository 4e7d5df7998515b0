"""The same stores in PostGIS (SQLAlchemy 2 + GeoAlchemy2 + psycopg 3), used when DATABASE_URL
is set: for many users, many workers and many counties. Each one offers exactly the methods of
its GeoPackage twin (`layers.LayerStore`, `proposals.ProposalStore`, `users.UserStore`), so
nothing above the storage room knows which one it has.

Every write is one database transaction: a new layer version (its table, its history row and
the `current` pointer) is all there or not at all, and readers see the old version until the
commit. Before the commit each new version is read back and compared with what was given
(`geoapp.store.roundtrip`). The schema (and the PostGIS extension) is created once, under an
advisory lock, however many workers start at the same moment (`geoapp.store.schema`).
"""
from __future__ import annotations

import builtins
import datetime as dt
import json
import os
import time
import weakref

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from werkzeug.security import generate_password_hash

from geoapp.crs import STORAGE_CRS
from geoapp.layers import LAYERS, spec
from geoapp.messages import N_, message
from geoapp.store.base import (
    COLUMNS as PROPOSAL_COLUMNS,
)
from geoapp.store.base import (
    Progress,
    Proposal,
    Revision,
    StoreError,
    User,
    Version,
    check_changes,
    check_new_user,
    checked_read,
    created,
    difference,
    now,
    password_matches,
    revision_action,
    rollback,
    table_name,
)
from geoapp.store.roundtrip import differences
from geoapp.store.schema import migrate_postgres, postgres_lock

PUBLISH_LOCK = 511823_0002  # one writer of layer versions at a time


def connect(url: str) -> Engine:
    """An engine on DATABASE_URL with geoapp's tables in place (postgresql:// means psycopg 3)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    engine = create_engine(url, pool_pre_ping=True)
    migrate_postgres(engine)
    forget_connections_after_fork(engine)
    return engine


def forget_connections_after_fork(engine: Engine) -> None:
    """A forked process (a gunicorn worker of a preloaded app) opens its own connections: the
    parent's pooled ones are dropped without closing them, which would close them for the
    parent too (SQLAlchemy's advice for multiprocessing)."""
    held = weakref.ref(engine)

    def forget() -> None:
        engine = held()
        if engine is not None:
            engine.dispose(close=False)
    os.register_at_fork(after_in_child=forget)


def _write_version(conn, layer: str, name: str, frame) -> None:
    if LAYERS[layer].is_table:
        pd.DataFrame(frame).to_sql(name, conn, index=False)
        return
    frame = frame.to_crs(STORAGE_CRS)
    if frame.geometry.name != "geometry":
        frame = frame.rename_geometry("geometry")
    frame.to_postgis(name, conn, index=False)


def _read_version(conn, layer: str, name: str, where: str = "", params=None):
    sql = f'SELECT * FROM "{name}"' + (f" WHERE {where}" if where else "")
    if LAYERS[layer].is_table:
        return pd.read_sql(text(sql), conn, params=params or {})
    return gpd.read_postgis(text(sql), conn, geom_col="geometry", params=params or {}).set_crs(
        STORAGE_CRS, allow_override=True)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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
        with self.engine.connect() as conn:
            return _read_version(conn, layer_id, table_name(layer_id, version), " AND ".join(clauses), params)

    def vector_tile(self, layer_id: str, version: int, z: int, x: int, y: int, columns: list[str], points: bool,
                    rules) -> bytes:
        """Tile z/x/y (Web Mercator) of a stored layer version as Mapbox Vector Tile bytes, cut by
        PostGIS (`ST_AsMVT`) on the version's spatial index: features clipped to the tile and
        its margin, simplified to its unit (`rules`, a `geoapp.maps.vectortiles.TileRules`),
        points thinned to one per cell when the tile is crowded, carrying `columns` (and in a
        crowded tile `point_count`, the points each stands for)."""
        spec(layer_id)
        known = {c.name for c in LAYERS[layer_id].columns}
        if not set(columns) <= known:
            raise ValueError(f"not columns of {layer_id}: {sorted(set(columns) - known)}")
        carried = "".join(f', "{c}"' for c in columns)
        params = {"z": z, "x": x, "y": y, "margin": rules.buffer / rules.extent, "extent": rules.extent,
                  "buffer": rules.buffer, "name": layer_id}
        found = (f'SELECT {carried[2:] or "NULL AS nothing"}{{geometry}} FROM "{table_name(layer_id, version)}" AS t, '
                 "env WHERE t.geometry && ST_Transform(env.wide, 4326)")
        if points:
            sql = f"""
            WITH env AS (SELECT ST_TileEnvelope(:z, :x, :y) AS tile, ST_TileEnvelope(:z, :x, :y, margin => :margin) AS wide),
            hits AS ({found.format(geometry=", ST_Transform(t.geometry, 3857) AS g")}),
            crowded AS (SELECT count(*) > :max_points AS yes FROM hits),
            celled AS (
              SELECT hits.*, CASE WHEN crowded.yes
                THEN floor((ST_X(g) - ST_XMin(env.tile)) / :cell)::bigint * 1000003
                     + floor((ST_Y(g) - ST_YMin(env.tile)) / :cell)::bigint
                ELSE row_number() OVER () END AS cell, crowded.yes AS crowded
              FROM hits, env, crowded),
            kept AS (SELECT DISTINCT ON (cell) *, count(*) OVER (PARTITION BY cell) AS cell_count FROM celled ORDER BY cell)
            SELECT ST_AsMVT(q, :name, :extent, 'geom') FROM (
              SELECT {carried[2:] + ", " if carried else ""}CASE WHEN crowded THEN cell_count END AS point_count,
                     ST_AsMVTGeom(g, env.tile, :extent, :buffer, true) AS geom
              FROM kept, env) AS q WHERE geom IS NOT NULL"""
            params.update(max_points=rules.max_points, cell=rules.point_cell * rules.unit(z))
        else:
            sql = f"""
            WITH env AS (SELECT ST_TileEnvelope(:z, :x, :y) AS tile, ST_TileEnvelope(:z, :x, :y, margin => :margin) AS wide)
            SELECT ST_AsMVT(q, :name, :extent, 'geom') FROM ({found.format(geometry=
                ", ST_AsMVTGeom(ST_SimplifyPreserveTopology(ST_ClipByBox2D(ST_Transform(t.geometry, 3857), env.wide), "
                ":tolerance), env.tile, :extent, :buffer, true) AS geom")}) AS q WHERE geom IS NOT NULL"""
            params["tolerance"] = rules.simplify * rules.unit(z)
        with self.engine.connect() as conn:
            return bytes(conn.execute(text(sql), params).scalar_one() or b"")

    def publish(self, frames: dict, who: str, source_files: dict[str, str], checksums: dict[str, str],
                note: str = "", progress: Progress | None = None, only_missing: bool = False) -> dict[str, int]:
        progress = progress or (lambda what, fraction: None)
        created = _now()
        with self.engine.begin() as conn:  # all the new versions, or none of them
            postgres_lock(conn, PUBLISH_LOCK)  # one writer at a time; readers are not held up
            if only_missing:
                present = set(conn.execute(text("SELECT layer FROM layer_current")).scalars())
                frames = {layer: frame for layer, frame in frames.items() if layer not in present}
                if not frames:
                    return {}
            latest: dict[str, int] = {layer: version for layer, version in conn.execute(
                text("SELECT layer, MAX(version) FROM layer_versions GROUP BY layer")).all()}
            versions = {layer: (latest.get(layer) or 0) + 1 for layer in frames}
            for i, (layer, frame) in enumerate(frames.items()):
                progress(f"writing {layer}", 0.1 + 0.8 * i / max(1, len(frames)))
                name = table_name(layer, versions[layer])
                try:
                    with conn.begin_nested():
                        _write_version(conn, layer, name, frame)
                except Exception as err:  # psycopg refuses some values (a NUL in text) outright
                    raise StoreError(N_("%(layer)s could not be stored: %(reason)s; nothing was published"),
                                     layer=layer, reason=str(err).strip().splitlines()[0]) from None
                found = differences(layer, frame, _read_version(conn, layer, name))
                if found:
                    raise StoreError(found[0])
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

    def check_storable(self, layer_id: str, frame) -> list:
        """What would change if `frame` were stored (written in a transaction that is rolled back)."""
        with self.engine.connect() as conn:
            transaction = conn.begin()
            try:
                _write_version(conn, layer_id, "geoapp_storable_check", frame)
                return differences(layer_id, frame, _read_version(conn, layer_id, "geoapp_storable_check"))
            except Exception as err:
                return [message(N_("%(layer)s could not be stored: %(reason)s"), layer=layer_id,
                                reason=str(err).strip().splitlines()[0])]
            finally:
                transaction.rollback()


class PostgisProposalStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.path = engine.url.render_as_string(hide_password=True)

    @staticmethod
    def _proposal(row) -> Proposal:
        return Proposal(id=row["fid"], geometry=shapely.from_wkb(bytes.fromhex(row["wkb"])),
                        candidate=json.loads(row["candidate"]) if row["candidate"] else None,
                        **{c: row[c] for c in PROPOSAL_COLUMNS})

    _SELECT = f"SELECT fid, ST_AsHEXEWKB(geom) AS wkb, candidate, {', '.join(PROPOSAL_COLUMNS)} FROM proposals"

    @staticmethod
    def _record(conn, proposal_id: int, who: str, action: str, changes: dict, comment: str = "") -> None:
        conn.execute(text("INSERT INTO proposal_revisions (proposal_id, at, who, action, changes, comment) VALUES "
                          "(:p, :at, :who, :action, :changes, :comment)"),
                     {"p": proposal_id, "at": now(), "who": who, "action": action,
                      "changes": json.dumps(changes, ensure_ascii=False), "comment": comment})

    def list(self) -> builtins.list[Proposal]:
        with self.engine.connect() as conn:
            return [self._proposal(r) for r in conn.execute(text(self._SELECT + " ORDER BY fid")).mappings()]

    def get(self, proposal_id: int) -> Proposal | None:
        with self.engine.connect() as conn:
            row = conn.execute(text(self._SELECT + " WHERE fid = :fid"), {"fid": proposal_id}).mappings().first()
        return self._proposal(row) if row else None

    def create(self, name: str, industry: str, geometry: BaseGeometry, owner: str, notes: str = "",
               status: str = "draft", candidate: dict | None = None) -> Proposal:
        stamp = now()
        with self.engine.begin() as conn:
            new_id = conn.execute(text(
                "INSERT INTO proposals (geom, name, industry, notes, status, owner, created, updated, candidate) VALUES "
                "(ST_SetSRID(ST_GeomFromWKB(:wkb), 4326), :name, :industry, :notes, :status, :owner, :now, :now, "
                ":candidate) RETURNING fid"),
                {"wkb": shapely.to_wkb(geometry), "name": name, "industry": industry, "notes": notes, "status": status,
                 "owner": owner, "now": stamp,
                 "candidate": json.dumps(candidate, ensure_ascii=False) if candidate else ""}).scalar_one()
            self._record(conn, new_id, owner, "created", difference(None, {
                "name": name, "industry": industry, "notes": notes, "status": status, "geometry": geometry}))
        return created(self.get(new_id))

    def update(self, proposal_id: int, who: str, comment: str = "", **changes) -> Proposal | None:
        check_changes(changes)
        with self.engine.begin() as conn:
            row = conn.execute(text(self._SELECT + " WHERE fid = :fid FOR UPDATE"),
                               {"fid": proposal_id}).mappings().first()
            if row is None:
                return None
            found = difference(self._proposal(row), changes)
            if found or comment:
                sets, params = ["updated = :updated"], {"updated": now(), "fid": proposal_id}
                for key, value in changes.items():
                    if key == "geometry":
                        sets.append("geom = ST_SetSRID(ST_GeomFromWKB(:wkb), 4326)")
                        params["wkb"] = shapely.to_wkb(value)
                    else:
                        sets.append(f"{key} = :{key}")
                        params[key] = json.dumps(value, ensure_ascii=False) if key == "candidate" else value
                conn.execute(text(f"UPDATE proposals SET {', '.join(sets)} WHERE fid = :fid"), params)
                self._record(conn, proposal_id, who, revision_action(changes), found, comment)
        return self.get(proposal_id)

    def delete(self, proposal_id: int, who: str = "") -> bool:
        with self.engine.begin() as conn:
            deleted = conn.execute(text("DELETE FROM proposals WHERE fid = :fid"), {"fid": proposal_id}).rowcount > 0
            if deleted:
                self._record(conn, proposal_id, who, "deleted", {})
        return deleted

    def revisions(self, proposal_id: int) -> builtins.list[Revision]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT * FROM proposal_revisions WHERE proposal_id = :p ORDER BY id"),
                                {"p": proposal_id}).mappings().all()
        return [Revision(r["id"], r["proposal_id"], r["at"], r["who"], r["action"], json.loads(r["changes"]),
                         r["comment"]) for r in rows]



class PostgisUserStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def _run(self, sql: str, params: dict):
        with self.engine.begin() as conn:
            return conn.execute(text(sql), params)

    def create(self, name: str, password: str, role: str, branch: str = "") -> User:
        check_new_user(name, password, role, branch)
        self._run("INSERT INTO users (name, role, password_hash, branch) VALUES (:name, :role, :hash, :branch) "
                  "ON CONFLICT (name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash, "
                  "branch = excluded.branch, session_version = users.session_version + 1",
                  {"name": name, "role": role, "hash": generate_password_hash(password), "branch": branch})
        return created(self.get(name))

    def get(self, name: str) -> User | None:
        row = self._run("SELECT name, role, session_version, branch FROM users WHERE name = :name",
                        {"name": name}).first()
        return User(row.name, row.role, row.session_version, row.branch) if row else None

    def check(self, name: str, password: str) -> User | None:
        row = self._run("SELECT name, role, session_version, branch, password_hash FROM users WHERE name = :name",
                        {"name": name}).first()
        if password_matches(row.password_hash if row else None, password) and row:
            return User(row.name, row.role, row.session_version, row.branch)
        return None

    def end_sessions(self, name: str) -> None:
        self._run("UPDATE users SET session_version = session_version + 1 WHERE name = :name", {"name": name})

    def record_failure(self, subjects: builtins.list[str], window_s: float) -> None:
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM login_failures WHERE at < :old"), {"old": now - window_s})
            conn.execute(text("INSERT INTO login_failures VALUES (:s, :at)"), [{"s": s, "at": now} for s in subjects])

    def failures(self, subject: str, window_s: float) -> tuple[int, float | None]:
        row = self._run("SELECT COUNT(*) AS n, MIN(at) AS oldest FROM login_failures WHERE subject = :s AND at >= :since",
                        {"s": subject, "since": time.time() - window_s}).first()
        return row.n, row.oldest

    def clear_failures(self, subject: str) -> None:
        self._run("DELETE FROM login_failures WHERE subject = :s", {"s": subject})
