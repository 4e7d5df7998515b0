"""Configuration from the environment (docs/BRIEF.md §7); every setting has a default that works."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent   # templates/, static/, translations/ and the sample geodata/
ROOT = PACKAGE.parent                          # in a checkout, the repository (its tests, bench, docs)
SAMPLE_DATA = PACKAGE / "geodata"              # the embedded illustrative data: the default data dir


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one kept in the instance folder across restarts."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        instance.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key


def settings_from_environment(overrides: dict | None = None) -> dict:
    """The app's settings: `overrides` first, then the environment, then the defaults."""
    overrides = dict(overrides or {})
    env = os.environ
    # (the writable state: beside wherever the app is started, unless said; never inside the package)
    instance = Path(overrides.get("GEOAPP_INSTANCE") or env.get("GEOAPP_INSTANCE") or Path.cwd() / "instance")
    settings = {
        "GEOAPP_DATA_DIR": Path(env.get("GEOAPP_DATA_DIR") or SAMPLE_DATA),
        "GEOAPP_INSTANCE": instance,
        "DATABASE_URL": env.get("DATABASE_URL") or None,
        "GEOAPP_TILES": env.get("GEOAPP_TILES") or "osm",
        "GEOAPP_DEM": env.get("GEOAPP_DEM") or None,
        "GEOAPP_HTTPS": (env.get("GEOAPP_HTTPS") or "").lower() in ("1", "true", "yes"),
        "GEOAPP_PROXIES": int(env.get("GEOAPP_PROXIES") or 0),
        "GEOAPP_TILED_TOWNSHIPS_FROM": int(env.get("GEOAPP_TILED_TOWNSHIPS_FROM") or 2000),
        "GEOAPP_BACKGROUND_RELOAD_AFTER": float(env.get("GEOAPP_BACKGROUND_RELOAD_AFTER") or 5.0),
        # make the committee's report (default indicator, Chinese) as soon as a version is served
        "GEOAPP_PREPARE_REPORT": (env.get("GEOAPP_PREPARE_REPORT") or "1").lower() not in ("0", "false", "no"),
        # one JSON line per request on the log (route, status, ms, worker, data version)
        "GEOAPP_JSON_LOGS": (env.get("GEOAPP_JSON_LOGS") or "").lower() in ("1", "true", "yes"),
        # the site's footer (a government site in China shows them): its owner and contact, the ICP
        # filing (ICP备案号, linked to beian.miit.gov.cn) and the public-security filing (公安备案号)
        "GEOAPP_OWNER": env.get("GEOAPP_OWNER") or "",
        # the base map's approval number (审图号) shown with Tianditu, and Leaflet's attribution prefix
        "GEOAPP_MAP_APPROVAL": env.get("GEOAPP_MAP_APPROVAL") or None,
        "GEOAPP_MAP_PREFIX": env.get("GEOAPP_MAP_PREFIX"),
        "GEOAPP_ICP": env.get("GEOAPP_ICP") or "",
        "GEOAPP_PSB": env.get("GEOAPP_PSB") or "",
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "zh_Hans",
        "BABEL_TRANSLATION_DIRECTORIES": str(PACKAGE / "translations"),
    }
    settings.update(overrides)
    settings["GEOAPP_DATA_DIR"] = Path(settings["GEOAPP_DATA_DIR"])
    settings["GEOAPP_INSTANCE"] = Path(settings["GEOAPP_INSTANCE"])
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _secret_key(settings["GEOAPP_INSTANCE"])
    return settings
