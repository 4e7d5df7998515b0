"""Loading and validating the data dir: a broken file is named with its row and problem."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from geoapp.config import ROOT
from geoapp.data.load import load_dataset
from geoapp.data.validate import DataError


def edit_geojson(path, change):
    """Load a GeoJSON file, let `change(collection)` edit it, write it back."""
    collection = json.loads(path.read_text(encoding="utf-8"))
    change(collection)
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")


def problems_of(data_dir) -> list[str]:
    with pytest.raises(DataError) as caught:
        load_dataset(data_dir)
    return [str(p) for p in caught.value.problems]


def test_the_committed_data_loads(dataset):
    assert {"townships", "zones", "loans"} <= set(dataset)
    assert dataset["townships"].crs.to_epsg() == 4326


def test_a_missing_file_is_named(data_copy):
    (data_copy / "festivals.geojson").unlink()
    assert problems_of(data_copy) == [
        f"festivals.geojson: missing file (expected the festivals layer or table at {data_copy / 'festivals.geojson'})"]


def test_a_missing_column_is_named_with_what_the_layer_needs(data_copy):
    def drop_stars(collection):
        for feature in collection["features"]:
            feature["properties"]["rating"] = feature["properties"].pop("stars")
    edit_geojson(data_copy / "farm_stays.geojson", drop_stars)
    [problem] = problems_of(data_copy)
    assert problem.startswith("farm_stays.geojson: missing column 'stars'")


def test_an_invalid_geometry_is_named_with_shapelys_reason(data_copy):
    def bowtie(collection):
        collection["features"][2]["geometry"] = {
            "type": "Polygon", "coordinates": [[[102.6, 29.5], [102.7, 29.6], [102.7, 29.5], [102.6, 29.6], [102.6, 29.5]]]}
    edit_geojson(data_copy / "zones.geojson", bowtie)
    problems = problems_of(data_copy)
    assert problems[0].startswith("zones.geojson: feature 3 (id=jiuxiang-pear): invalid geometry: Self-intersection")


def test_an_unknown_township_key_is_named(data_copy):
    def misname(collection):
        collection["features"][4]["properties"]["township"] = "atlantis"
    edit_geojson(data_copy / "farm_stays.geojson", misname)
    assert problems_of(data_copy) == [
        "farm_stays.geojson: feature 5 (id=FS05): township: unknown township 'atlantis' "
        "(no code like it in townships.geojson)"]


def test_table_rows_are_named_by_line(data_copy):
    loans = pd.read_csv(data_copy / "loans.csv", dtype=str)
    loans.loc[9, "amount_yuan"] = "ten thousand"
    loans.loc[11, "id"] = loans.loc[10, "id"]
    loans.to_csv(data_copy / "loans.csv", index=False)
    problems = problems_of(data_copy)
    assert "loans.csv: line 11 (id=L010): amount_yuan: 'ten thousand' is not a number" in problems
    assert "loans.csv: line 13 (id=L011): duplicate key 'L011' (also line 12 (id=L011))" in problems


def test_values_out_of_range_and_off_the_vocabulary(data_copy):
    def spoil(collection):
        collection["features"][0]["properties"]["stars"] = 9
        collection["features"][1]["properties"]["stars"] = 3.5
    edit_geojson(data_copy / "farm_stays.geojson", spoil)
    problems = problems_of(data_copy)
    assert "farm_stays.geojson: feature 1 (id=FS01): stars: 9 is above the maximum 5" in problems
    assert "farm_stays.geojson: feature 2 (id=FS02): stars: 3.5 is not a whole number" in problems


def test_a_projected_layer_is_refused_with_its_crs(data_copy, dataset):
    projected = dataset["festivals"].to_crs("EPSG:32648")
    (data_copy / "festivals.geojson").unlink()
    projected.to_file(data_copy / "festivals.geojson", driver="GeoJSON", engine="pyogrio")
    [problem] = problems_of(data_copy)
    assert problem.startswith("festivals.geojson: coordinate system is EPSG:32648; layers must be WGS-84")


def test_broken_json_is_named(data_copy):
    (data_copy / "zones.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    [problem] = problems_of(data_copy)
    assert problem.startswith("zones.geojson: cannot be read as GeoJSON")


def test_gbk_text_is_named(data_copy):
    (data_copy / "loans.csv").write_bytes("id,recipient\nL001,王某\n".encode("gbk"))
    [problem] = problems_of(data_copy)
    assert problem.startswith("loans.csv: not UTF-8 text")


def run_cli(*args, data_dir=None, timeout=60):
    env = {**os.environ, "GEOAPP_INSTANCE": str(data_dir.parent / "instance")} if data_dir else dict(os.environ)
    if data_dir:
        env["GEOAPP_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "geoapp.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=timeout)


def test_serve_on_a_broken_data_dir_stops_with_the_problems_and_no_traceback(data_copy):
    def misname(collection):
        collection["features"][0]["properties"]["township"] = "atlantis"
    edit_geojson(data_copy / "party_organisations.geojson", misname)
    (data_copy / "festivals.geojson").unlink()
    result = run_cli("serve", "--port", "0", data_dir=data_copy)
    assert result.returncode == 1
    assert "festivals.geojson: missing file" in result.stderr
    assert "party_organisations.geojson: feature 1 (id=PO-G1): township: unknown township 'atlantis'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_gunicorn_entry_point_stops_the_same_way(data_copy):
    (data_copy / "zones.geojson").unlink()
    env = {**os.environ, "GEOAPP_DATA_DIR": str(data_copy), "GEOAPP_INSTANCE": str(data_copy.parent / "i")}
    result = subprocess.run([sys.executable, "-c", "import geoapp.wsgi"], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=60)
    assert result.returncode == 1
    assert "zones.geojson: missing file" in result.stderr and "Traceback" not in result.stderr


def test_validate_command_checks_a_file_against_its_layer_and_the_others(data_copy, tmp_path):
    good = run_cli("validate", "farm_stays", str(data_copy / "farm_stays.geojson"), data_dir=data_copy)
    assert good.returncode == 0 and "16 rows, valid as farm_stays" in good.stdout
    bad = tmp_path / "stays.geojson"
    collection = json.loads((data_copy / "farm_stays.geojson").read_text(encoding="utf-8"))
    collection["features"][0]["properties"]["township"] = "atlantis"
    bad.write_text(json.dumps(collection), encoding="utf-8")
    before = (data_copy / "farm_stays.geojson").read_bytes()
    result = run_cli("validate", "farm_stays", str(bad), data_dir=data_copy)
    assert result.returncode == 1
    assert "stays.geojson: feature 1 (id=FS01): township: unknown township 'atlantis'" in result.stderr
    assert (data_copy / "farm_stays.geojson").read_bytes() == before
