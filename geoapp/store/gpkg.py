"""A small GeoPackage writer and reader over sqlite3, for row-by-row transactional writes.

pyogrio writes whole layers; proposals and users change one row at a time, so they are
written here as SQL in transactions, in the OGC GeoPackage 1.3 layout (readable by QGIS,
GDAL/pyogrio and geopandas).
"""
from __future__ import annotations

import sqlite3
import struct
from contextlib import contextmanager
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

WGS84 = 4326
APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10300         # GeoPackage 1.3

CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));
"""
SPATIAL_REF_SYS = [
    ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
    ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
    ("WGS 84 geodetic", WGS84, "EPSG", WGS84,
     'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],'
     'UNIT["degree",0.0174532925199433],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
     "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"),
]


def encode(geometry: BaseGeometry, srs_id: int = WGS84) -> bytes:
    """GeoPackage binary: the 'GP' header with an xy envelope, then little-endian WKB."""
    minx, miny, maxx, maxy = geometry.bounds
    flags = 0b0000_0011  # envelope [minx, maxx, miny, maxy], little-endian
    header = b"GP" + bytes([0, flags]) + struct.pack("<i4d", srs_id, minx, maxx, miny, maxy)
    return header + shapely.to_wkb(geometry, byte_order=1)


def decode(blob: bytes) -> BaseGeometry:
    """The geometry of a GeoPackage binary blob."""
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry")
    envelope = (blob[3] >> 1) & 0b111
    size = 8 + {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[envelope]
    return shapely.from_wkb(blob[size:])


def connect(path: Path, wal: bool = True) -> sqlite3.Connection:
    """A connection with the GeoPackage core tables in place; in WAL mode unless `wal` is
    False (for a file that is replaced whole, see `geoapp.store.layers`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)  # transactions are explicit
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA journal_mode={'WAL' if wal else 'DELETE'}")
    conn.execute("PRAGMA foreign_keys=ON")
    if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        with transaction(conn):
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version={USER_VERSION}")
            for statement in filter(str.strip, CORE_SCHEMA.split(";")):  # executescript would COMMIT
                conn.execute(statement)
            conn.executemany("INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)", SPATIAL_REF_SYS)
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection):
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error: all of a change or none of it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def touch_contents(conn: sqlite3.Connection, table: str) -> None:
    """Record in gpkg_contents that `table` changed now, with its new extent."""
    extent = conn.execute(f'SELECT geom FROM "{table}"').fetchall()
    bounds = shapely.total_bounds([decode(row[0]) for row in extent]) if extent else [None] * 4
    conn.execute("UPDATE gpkg_contents SET last_change=strftime('%Y-%m-%dT%H:%M:%fZ','now'), "
                 "min_x=?, min_y=?, max_x=?, max_y=? WHERE table_name=?", (*map(_finite, bounds), table))


def _finite(value):
    return None if value is None or value != value else float(value)
