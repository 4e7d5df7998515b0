"""Static files without nginx: every asset a page names carries a hash of its content and is kept
by the browser for a year; text goes compressed; a plain or outdated address is asked again."""
from __future__ import annotations

import gzip
import re

import pytest

from geoapp import create_app
from geoapp.config import PACKAGE
from geoapp.static_files import StaticFiles

PAGES = ["/", "/coverage", "/farmstays", "/farmstays/FS01", "/planning", "/zones/qingxi-pepper", "/branches/PO-I001",
         "/login"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app({"GEOAPP_INSTANCE": tmp_path_factory.mktemp("instance"), "GEOAPP_TILES": "blank",
                      "GEOAPP_PREPARE_REPORT": False, "TESTING": True})
    return app.test_client()


def assets_of(client, page: str) -> set[str]:
    answer = client.get(page)
    assert answer.status_code == 200, page
    return set(re.findall(r'["\'(](/static/[^"\')\s]+)', answer.get_data(as_text=True)))


def test_every_asset_a_page_names_is_hashed_and_kept_for_a_year(client):
    named = set().union(*(assets_of(client, page) for page in PAGES))
    scripts = [asset for asset in named if asset.endswith(".js")]
    assert len(scripts) >= 5 and any("leaflet.markercluster" in s for s in scripts), named
    for asset in sorted(named):
        assert re.search(r"\.[0-9a-f]{10}\.[a-z]+$", asset), f"{asset} has no content hash"
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable", asset


def test_text_goes_compressed_when_the_client_takes_it_and_revalidates_with_a_304(client):
    plain = client.get("/static/vendor/leaflet/leaflet.js")
    address = StaticFiles.of(PACKAGE / "static").url("vendor/leaflet/leaflet.js")
    packed = client.get(address, headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data) / 2
    assert packed.mimetype == "application/javascript"
    again = client.get(address, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304
    raw = client.get(address)   # a client that takes no gzip gets the file as it is
    assert "Content-Encoding" not in raw.headers and raw.data == plain.data
    image = client.get("/static/favicon.png", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in image.headers   # (a PNG is compressed already)


def test_a_plain_or_outdated_address_is_answered_but_asked_again(client):
    plain = client.get("/static/js/coverage.js")
    assert plain.status_code == 200 and plain.headers["Cache-Control"] == "no-cache" and plain.headers["ETag"]
    outdated = client.get("/static/js/coverage.0123456789.js")
    assert outdated.status_code == 200 and outdated.headers["Cache-Control"] == "no-cache"
    assert outdated.data == plain.data


@pytest.mark.parametrize("address", ["/static/../config.py", "/static/js/nothing.js", "/static/js/nothing.0123456789.js",
                                     "/static/%2e%2e/config.py", "/static/js/../../config.py", "/static/"])
def test_nothing_outside_the_static_folder_is_served(client, address):
    assert client.get(address).status_code == 404


def test_a_changed_file_gets_a_new_address(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.min.js").write_text("one")
    before = StaticFiles.of(tmp_path).url("js/a.min.js")
    (tmp_path / "js" / "a.min.js").write_text("two")
    after = StaticFiles.of(tmp_path).url("js/a.min.js")
    assert before != after and before.startswith("/static/js/a.min.") and after.endswith(".js")
    assert StaticFiles.of(tmp_path).find(after[len("/static/"):]).current_hash
    assert not StaticFiles.of(tmp_path).find(before[len("/static/"):]).current_hash
