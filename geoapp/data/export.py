"""Exporting a layer or table as a file the keeper can open elsewhere: GeoJSON, GeoPackage,
CSV or a zipped Shapefile."""
from __future__ import annotations

import json
import tempfile
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geoapp.crs import STORAGE_CRS
from geoapp.layers import LAYERS

# Exporting -----------------------------------------------------------------------------------------

EXPORT_FORMATS = (".geojson", ".gpkg", ".csv", ".zip")


def export_frame(frame: gpd.GeoDataFrame | pd.DataFrame, layer_id: str, path: str | Path) -> Path:
    """Write a layer or table to `path` in the format its ending names: GeoJSON, GeoPackage,
    CSV (points as lon/lat columns, other shapes as WKT) or a zipped Shapefile (UTF-8, .cpg)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ValueError(f"cannot export to {suffix or '(none)'}; use {', '.join(EXPORT_FORMATS)}")
    is_table = LAYERS[layer_id].is_table
    if suffix == ".csv":
        table = pd.DataFrame(frame).copy()
        if not is_table:
            geometry = frame.geometry
            if (geometry.geom_type == "Point").all():
                table.insert(0, "lon", geometry.x.round(7))
                table.insert(1, "lat", geometry.y.round(7))
            else:
                table["wkt"] = geometry.to_wkt()
            table = table.drop(columns="geometry")
        table.to_csv(path, index=False, lineterminator="\n")
        return path
    path.unlink(missing_ok=True)
    if suffix == ".geojson" and is_table:  # GeoJSON allows features without geometry
        rows = pd.DataFrame(frame).astype(object).where(pd.DataFrame(frame).notna(), None)
        features = [{"type": "Feature", "geometry": None, "properties": row} for row in rows.to_dict("records")]
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                                   default=str), encoding="utf-8")
    elif suffix == ".geojson":
        frame.to_crs(STORAGE_CRS).to_file(path, driver="GeoJSON", engine="pyogrio", RFC7946="YES")
    elif suffix == ".gpkg":
        pyogrio.write_dataframe(frame if not is_table else pd.DataFrame(frame), path, layer=layer_id, driver="GPKG")
    else:
        with tempfile.TemporaryDirectory(prefix="geoapp-export-") as workdir:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # GDAL warns that field names stop at 10 characters: expected
                # a table becomes a Shapefile of attributes only: its .dbf (and .cpg)
                pyogrio.write_dataframe(pd.DataFrame(frame) if is_table else frame.to_crs(STORAGE_CRS),
                                        Path(workdir) / f"{layer_id}.{'dbf' if is_table else 'shp'}",
                                        driver="ESRI Shapefile", encoding="UTF-8")
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                for part in sorted(Path(workdir).iterdir()):
                    archive.write(part, part.name)
    return path
