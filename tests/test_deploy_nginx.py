"""The deployment recipe in deploy/, as an operator would run it: Debian's real nginx with the
site file as written (only its ports, paths and certificate moved to a temporary folder) in front
of gunicorn on loopback, the environment file's proxy settings, a self-signed certificate.
The systemd unit is checked by systemd's own verifier."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from geoapp.config import PACKAGE, ROOT
from tests.processes import free_port, gunicorn

DEPLOY = ROOT / "deploy"


def environment_file() -> dict[str, str]:
    """The settings deploy/geoapp.env sets (its comments and placeholders left out)."""
    settings = {}
    for line in (DEPLOY / "geoapp.env").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            settings[name] = value
    return settings


def site_for_test(folder: Path, http: int, https: int, upstream: int) -> Path:
    """deploy/nginx-geoapp.conf with its ports, paths and certificate moved into `folder`."""
    site = (DEPLOY / "nginx-geoapp.conf").read_text()
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)   # (no IPv6 needed on loopback)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http};").replace("listen 443 ", f"listen 127.0.0.1:{https} ")
    site = site.replace("server 127.0.0.1:8000", f"server 127.0.0.1:{upstream}")
    site = site.replace("/opt/geoapp/static/", f"{PACKAGE / 'static'}/").replace("/etc/ssl/geoapp/", f"{folder}/")
    site = site.replace("/etc/geoapp/nginx-proxy.conf", str(DEPLOY / "nginx-proxy.conf"))
    (folder / "site.conf").write_text(site)
    for temporary in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / temporary).mkdir()
    main = folder / "nginx.conf"
    main.write_text(f"""{'user root;' if os.geteuid() == 0 else ''}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy; fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
    include {folder}/site.conf;
}}
""")
    return main


def certificate(folder: Path) -> Path:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(folder / "privkey.pem"),
                    "-out", str(folder / "fullchain.pem")], check=True, capture_output=True)
    return folder / "fullchain.pem"


def wait_for(url: str, verify, nginx: subprocess.Popen, log: Path) -> None:
    for _ in range(600):
        try:
            requests.get(url, verify=verify, timeout=5, allow_redirects=False)
            return
        except requests.ConnectionError:
            if nginx.poll() is not None:
                raise RuntimeError(log.read_text()) from None
            time.sleep(0.05)
    raise RuntimeError(log.read_text())


@pytest.fixture(scope="module")
def behind_nginx(tmp_path_factory):
    """(https base URL, http base URL, the certificate to trust, gunicorn's own URL)."""
    assert shutil.which("nginx"), "nginx is not installed (./dev test installs Debian's nginx)"
    folder = tmp_path_factory.mktemp("nginx")
    ca = certificate(folder)
    settings = environment_file()
    env = {name: settings[name] for name in ("GEOAPP_PROXIES", "GEOAPP_HTTPS")}
    env.update(GEOAPP_INSTANCE=str(folder / "instance"), SECRET_KEY="for-the-nginx-test", GEOAPP_TILES="blank",
               GEOAPP_PREPARE_REPORT="0")
    with gunicorn(env, folder / "gunicorn.log") as upstream:
        http, https = free_port(), free_port()
        main = site_for_test(folder, http, https, int(upstream.rsplit(":", 1)[1]))
        test = subprocess.run(["nginx", "-t", "-q", "-p", str(folder), "-c", str(main)], capture_output=True, text=True)
        assert test.returncode == 0, test.stderr
        with open(folder / "nginx.out", "w") as out:
            nginx = subprocess.Popen(["nginx", "-p", str(folder), "-c", str(main), "-g", "daemon off;"], stderr=out)
            try:
                wait_for(f"https://127.0.0.1:{https}/healthz", ca, nginx, folder / "error.log")
                yield f"https://127.0.0.1:{https}", f"http://127.0.0.1:{http}", ca, upstream
            finally:
                nginx.terminate()
                nginx.wait(30)


def test_plain_http_is_sent_to_https(behind_nginx):
    plain = behind_nginx[1]
    answer = requests.get(f"{plain}/coverage?metric=loans", allow_redirects=False, timeout=10)
    assert answer.status_code == 301
    assert answer.headers["Location"].startswith("https://") and answer.headers["Location"].endswith("/coverage?metric=loans")


def test_pages_come_over_https_compressed_with_the_apps_headers_and_https_addresses(behind_nginx):
    site, _, ca, _ = behind_nginx
    page = requests.get(f"{site}/", verify=ca, timeout=30)
    assert page.status_code == 200 and "汉源" in page.text
    assert page.headers["Content-Encoding"] == "gzip"
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "script-src 'self' 'nonce-" in page.headers["Content-Security-Policy"]
    # the app knows it is reached over HTTPS at this host and port: the links it writes say so
    landing = requests.get(f"{site}/ogc?f=json", verify=ca, timeout=30).json()
    assert {link["href"].split("/ogc")[0] for link in landing["links"]} == {site}


def test_the_session_cookie_goes_only_over_https(behind_nginx):
    site, _, ca, _ = behind_nginx
    login = requests.get(f"{site}/login", verify=ca, timeout=30)
    assert login.status_code == 200
    cookie = login.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    flags = {part.strip().lower().split("=")[0] for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite"} <= flags, cookie


def test_static_files_are_served_by_nginx_hashed_for_a_year_and_plain_ones_revalidated(behind_nginx):
    site, _, ca, upstream = behind_nginx
    page = requests.get(f"{site}/coverage", verify=ca, timeout=60).text
    assets = sorted(set(re.findall(r'"(/static/[^"]+\.(?:js|css))"', page)))
    assert any("/vendor/leaflet/leaflet." in asset for asset in assets), assets
    for asset in assets:
        assert re.search(r"\.[0-9a-f]{10}\.(js|css)$", asset), f"{asset} carries no content hash"
        answer = requests.get(f"{site}{asset}", verify=ca, timeout=30)
        assert answer.status_code == 200, asset
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable", asset
        assert answer.headers["Content-Encoding"] == "gzip", asset
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    leaflet = next(asset for asset in assets if asset.endswith(".js") and "/leaflet/leaflet." in asset)
    script = requests.get(f"{site}{leaflet}", verify=ca, timeout=30)
    assert script.headers["Content-Type"].startswith("application/javascript") and "Leaflet" in script.text
    image = requests.get(f"{site}/static/vendor/leaflet/images/layers.png", verify=ca, timeout=30)
    assert image.status_code == 200 and image.headers["Cache-Control"] == "no-cache" and image.headers["ETag"]
    again = requests.get(f"{site}/static/vendor/leaflet/images/layers.png", verify=ca, timeout=30,
                         headers={"If-None-Match": image.headers["ETag"]})
    assert again.status_code == 304
    # nginx answered them itself: the app marks all it answers with its policy, nginx's answer has none
    assert "Content-Security-Policy" in requests.get(f"{upstream}{leaflet}", timeout=30).headers
    assert "Content-Security-Policy" not in script.headers


def test_the_systemd_unit_passes_systemds_verifier(tmp_path):
    verifier = shutil.which("systemd-analyze")
    assert verifier, "systemd-analyze is not installed (./dev test installs systemd)"
    import sys
    unit = (DEPLOY / "geoapp.service").read_text().replace("/opt/geoapp/venv/bin/gunicorn",
                                                            str(Path(sys.executable).parent / "gunicorn"))
    (tmp_path / "geoapp.service").write_text(unit)
    checked = subprocess.run([verifier, "verify", str(tmp_path / "geoapp.service")], capture_output=True, text=True)
    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr
