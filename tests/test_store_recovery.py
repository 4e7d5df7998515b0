"""A damaged store and a full disk (README: recovering a damaged store). A damaged instance
GeoPackage — its first bytes overwritten, cut short, a page in the middle zeroed — is named in
one line, with what to do, by the app's start and every command; `geoapp check` says what is
sound; `geoapp restore` puts back the verified copy of the last import, and the app serves it. A
full disk (here: a file-size limit on the process) is said in one line, on the command line and
to the web's user in their language, and nothing is changed."""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys

import pytest

from geoapp.config import ROOT
from tests.conftest import CLI, DATA_DIR, run_cli

DAMAGES = {
    "header overwritten": lambda data: b"\0" * 100 + data[100:],
    "cut short": lambda data: data[: len(data) // 3],
    "a page zeroed": lambda data: data[:8192] + b"\0" * 4096 + data[12288:],
}


def env_of(tmp_path) -> dict:
    return {"GEOAPP_INSTANCE": str(tmp_path / "instance"), "GEOAPP_DATA_DIR": str(DATA_DIR),
            "GEOAPP_TILES": "blank", "SECRET_KEY": "test", "GEOAPP_PREPARE_REPORT": "0"}


def one_line(result) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def starts(env: dict) -> subprocess.CompletedProcess:
    """The production entry point (what gunicorn imports), started once."""
    return subprocess.run([sys.executable, "-c", "import geoapp.wsgi"], capture_output=True, text=True,
                          env={**os.environ, **env}, cwd=ROOT, timeout=300)


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_layer_store_is_named_and_restored(tmp_path, damage):
    env = env_of(tmp_path)
    festivals = json.loads((DATA_DIR / "festivals.geojson").read_text(encoding="utf-8"))
    festivals["features"][0]["properties"]["visits"] = 123456
    changed = tmp_path / "festivals.geojson"
    changed.write_text(json.dumps(festivals, ensure_ascii=False), encoding="utf-8")
    assert run_cli(env, "import", "festivals", str(changed)).returncode == 0
    history = run_cli(env, "history", "festivals").stdout
    store = tmp_path / "instance" / "layers.gpkg"
    store.write_bytes(DAMAGES[damage](store.read_bytes()))

    for command in (["history", "festivals"], ["import", "festivals", str(changed)], ["rollback", "festivals", "1"],
                    ["export", "zones", str(tmp_path / "zones.geojson")], ["summary"]):
        result = run_cli(env, *command)
        if damage == "a page zeroed" and result.returncode == 0:
            continue  # the page this command reads may be whole; `geoapp check` finds the damage
        assert result.returncode == 1, (command, result.stdout)
        line = one_line(result)
        assert "layers.gpkg" in line and "geoapp restore" in line, line
    started = starts(env)
    assert started.returncode == 1 and "layers.gpkg" in started.stderr and "geoapp restore" in started.stderr
    assert "Traceback" not in started.stderr
    checked = run_cli(env, "check")
    assert checked.returncode == 1 and "layers.gpkg: " in checked.stdout and "backup/layers.gpkg: sound" in checked.stdout

    restored = run_cli(env, "restore")
    assert restored.returncode == 0, restored.stderr
    assert run_cli(env, "check").returncode == 0
    assert run_cli(env, "history", "festivals").stdout == history, "every version as it was before the damage"
    assert starts(env).returncode == 0


def test_damaged_proposals_and_users_are_named_and_restored(tmp_path):
    env = env_of(tmp_path)
    created = subprocess.run([*CLI, "create-user", "ann", "--role", "planner"], input="correct horse battery\n",
                             capture_output=True, text=True, env={**os.environ, **env}, cwd=ROOT, timeout=120)
    assert created.returncode == 0, created.stderr
    assert starts(env).returncode == 0, "a start keeps a copy of the proposals and users"
    gpkg = tmp_path / "instance" / "geoapp.gpkg"
    gpkg.write_bytes(b"garbage!" * 16 + gpkg.read_bytes()[128:])
    started = starts(env)
    assert started.returncode == 1 and "geoapp.gpkg" in started.stderr and "geoapp restore" in started.stderr
    restored = run_cli(env, "restore", "--proposals")
    assert restored.returncode == 0, restored.stderr
    assert starts(env).returncode == 0
    from geoapp.store import open_stores
    assert open_stores(tmp_path / "instance").users.check("ann", "correct horse battery") is not None


def with_file_size_limit(limit: int):
    """Run the child with files limited to `limit` bytes (as a full disk, for what it writes)."""
    def limit_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, not the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limit_files


def test_an_import_on_a_full_disk_says_so_and_changes_nothing(tmp_path):
    env = env_of(tmp_path)
    assert run_cli(env, "history", "farm_stays").returncode == 0
    before = run_cli(env, "history", "farm_stays").stdout
    store = tmp_path / "instance" / "layers.gpkg"
    from tests.test_data_imports import many_farm_stays
    big = many_farm_stays(3000, tmp_path / "stays.geojson")
    result = subprocess.run([*CLI, "import", "farm_stays", str(big)], capture_output=True, text=True,
                            env={**os.environ, **env}, cwd=ROOT, timeout=300,
                            preexec_fn=with_file_size_limit(store.stat().st_size + 4096))
    assert result.returncode == 1
    line = one_line(result)
    assert "disk is full" in line and "Nothing was changed" in line, line
    assert run_cli(env, "history", "farm_stays").stdout == before
    assert not list((tmp_path / "instance").glob(".layers-publishing-*")), "no copy left behind"
    assert run_cli(env, "check").returncode == 0


SAVE_ON_A_FULL_DISK = """
import json, os, resource, signal, sys
sys.path.insert(0, {root!r})
from tests.conftest import DATA_DIR, Auth, make_app
app = make_app(DATA_DIR, {instance!r})
client = Auth(app).client("ann", "planner")
gpkg = os.path.join({instance!r}, "geoapp.gpkg")
largest = max(os.path.getsize(p) for p in (gpkg, gpkg + "-wal") if os.path.exists(p))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
_soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (largest, hard))
site = {{"type": "Feature", "properties": {{"industry": "pear", "name": "x" * 150, "notes": "y" * 4000}},
        "geometry": {{"type": "Point", "coordinates": [102.65, 29.35]}}}}
answers = [client.post("/api/proposals?lang=zh", json=site) for _ in range(40)]
refused = next(a for a in answers if a.status_code != 201)
resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
print(json.dumps({{"status": refused.status_code, "body": refused.get_json(),
                   "saved": sum(a.status_code == 201 for a in answers),
                   "listed": len(client.get("/api/proposals").get_json()["features"])}}, ensure_ascii=False))
"""


def test_a_proposal_saved_on_a_full_disk_gets_a_clear_answer_and_nothing_half_saved(tmp_path):
    script = SAVE_ON_A_FULL_DISK.format(root=str(ROOT), instance=str(tmp_path / "instance"))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 507, answer
    assert "磁盘" in answer["body"]["message"], "said in the user's language"
    assert answer["listed"] == answer["saved"], "every proposal saved is whole; the refused one is not there"
