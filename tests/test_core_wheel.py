"""The wheel is the whole app (issue 21): built from this checkout, installed in a fresh virtual
environment, `geoapp serve` in an empty folder serves the pages, the assets, the catalogs and the
embedded sample data — nothing read from the checkout."""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

from geoapp.config import ROOT
from tests.processes import free_port


def build_wheel(out: Path) -> Path:
    """`pip wheel .` as a packager runs it (setuptools fetched in an isolated build)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
                   check=True, capture_output=True, text=True, timeout=600)
    [wheel] = out.glob("geoapp-*.whl")
    return wheel


def test_the_wheel_installs_and_serves_from_an_empty_folder(tmp_path):
    wheel = build_wheel(tmp_path / "dist")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--no-deps", "-q", str(wheel)], check=True,
                   capture_output=True, timeout=300)
    # its dependencies from the test environment (as a path: that folder's own .pth files, among
    # them this checkout's editable install, are not read)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import geoapp; print(geoapp.__file__)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path).stdout.strip()
    assert where.startswith(str(site)), f"the installed wheel is imported, not the checkout: {where}"

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEOAPP_", "DATABASE_URL", "PYTHONPATH"))}
    env.update(GEOAPP_TILES="blank", SECRET_KEY="test", GEOAPP_PREPARE_REPORT="0")
    port = free_port()
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 (the server writes to it while it runs)
    server = subprocess.Popen([str(venv / "bin" / "geoapp"), "serve", "--port", str(port)], cwd=empty, env=env,
                              stdout=log, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(1200):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5):
                    break
            except OSError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(0.1)
        for path, words in (("/", "汉源"), ("/coverage", "leaflet"), ("/branches/PO-I001", "五日"),
                            ("/farmstays?lang=en", "farm stay"), ("/static/vendor/leaflet/leaflet.js", "Leaflet"),
                            ("/api/summary", "industry_branches")):
            with urllib.request.urlopen(base + path, timeout=60) as answer:
                assert answer.status == 200, path
                assert words in answer.read().decode("utf-8"), path
        assert (empty / "instance" / "layers.gpkg").is_file(), "the state is kept where it was started"
        seeded = subprocess.run([str(venv / "bin" / "geoapp"), "history", "townships"], cwd=empty, env=env,
                                capture_output=True, text=True, timeout=120).stdout
        assert "site-packages/geoapp/geodata" in seeded and str(ROOT) not in seeded, "seeded from the wheel's sample"
    finally:
        server.terminate()
        server.wait(30)
        log.close()
