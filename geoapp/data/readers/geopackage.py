"""GeoPackages: one real table (not a view) holding the layer."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from geoapp.data.readers.common import (
    MAX_FEATURES,
    ImportReport,
    attributes_as_text,
    first_line,
    read_with_gdal,
)
from geoapp.layers import LayerSpec
from geoapp.messages import N_, message


def read_geopackage(path: Path, layer: LayerSpec, report: ImportReport, encoding: str | None):
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            kinds = dict(conn.execute("SELECT c.table_name, m.type FROM gpkg_contents c LEFT JOIN sqlite_master m "
                                      "ON m.name = c.table_name").fetchall())
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        report.problem(N_("cannot be read as a GeoPackage: %(reason)s"), reason=first_line(err))
        return None
    available = list(kinds)
    if len(available) != 1 and layer.id not in available:
        report.problem(N_("the GeoPackage holds %(layers)s; name one of them %(layer)s"),
                       layers=", ".join(available) or "nothing", layer=layer.id)
        return None
    chosen = available[0] if len(available) == 1 else layer.id
    if kinds[chosen] != "table":  # a view can run any query, for any time
        report.problem(N_("the GeoPackage layer %(name)s is a %(kind)s, not a table: export it as a table first"),
                       name=chosen, kind=kinds[chosen] or "missing table")
        return None
    if not _no_nul_text(path, chosen, report):  # GDAL would read such text cut at the NUL
        return None
    frame = read_with_gdal(path, report, message(N_("a GeoPackage")), layer=chosen, read_geometry=not layer.is_table,
                 max_features=MAX_FEATURES + 1)
    if frame is None:
        return None
    return attributes_as_text(frame) if layer.is_table else frame


def _no_nul_text(path: Path, table: str, report: ImportReport) -> bool:
    """False, with a problem per row and field, when a text field of the GeoPackage table holds
    a NUL character (GDAL, reading it, would end the text there)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")') if "TEXT" in str(row[2]).upper()]
        for column in columns:
            rows = conn.execute(f'SELECT rowid FROM "{table}" WHERE instr(CAST("{column}" AS BLOB), x\'00\') > 0 '
                                f'LIMIT 10').fetchall()
            for (rowid,) in rows:
                report.problem(N_("%(column)s: %(reason)s cannot be stored unchanged; remove it"),
                               message(N_("feature %(n)s"), n=rowid), column=column,
                               reason=message(N_("a NUL character")))
    finally:
        conn.close()
    return not report.problems
