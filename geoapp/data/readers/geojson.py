"""GeoJSON files: RFC 7946 (or a legacy `crs` member naming another system), refusing text a
store cannot keep unchanged."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd

from geoapp.data.readers.common import (
    ImportReport,
    attributes_as_text,
    decode_text,
    feature_label,
    read_with_gdal,
)
from geoapp.layers import LayerSpec
from geoapp.messages import N_, message

_CRS_MEMBER = re.compile(r'"crs"\s*:\s*\{')


def _json_object_at(text: str, start: int, limit: int = 2000):
    """The small JSON object that opens at `text[start]` ('{'), or None if it is not one."""
    depth, in_string, escaped = 0, False, False
    for i in range(start, min(len(text), start + limit)):
        char = text[i]
        if in_string:
            escaped, in_string = (not escaped and char == "\\"), in_string and (escaped or char != '"')
            continue
        if char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                try:
                    return json.loads(text[start:i + 1])
                except ValueError:
                    return None
    return None


def _legacy_crs(text: str, report: ImportReport) -> bool:
    """Honour a GeoJSON 2008 `crs` member by its name (GDAL silently takes names it does not know
    as WGS-84); False, with a problem, when it names no coordinate system we know. The member
    is looked for where writers put it: before the features, or after them at the end."""
    from pyproj import CRS
    features_at = text.find('"features"')
    found = _CRS_MEMBER.search(text, 0, features_at if features_at >= 0 else len(text)) or \
        _CRS_MEMBER.search(text, max(0, len(text) - 4096))
    if found is None:
        return True
    member = _json_object_at(text, found.end() - 1)
    name = member.get("properties", {}).get("name") if isinstance(member, dict) and isinstance(member.get("properties"), dict) else None
    if not isinstance(name, str):
        report.problem(N_("the file's crs member gives no coordinate system by name; remove it, or declare the "
                          "system"))
        return False
    try:
        report.file_crs = CRS.from_user_input(name)
    except Exception:
        report.problem(N_("the file's crs member names %(name)s, which is not a coordinate system we know; declare "
                          "the system (wgs84, cgcs2000, gcj02, bd09 or an EPSG code)"), name=repr(name[:60]))
        return False
    report.note(N_("the file names its coordinate system in a crs member: %(name)s"), name=name[:60])
    return True


# JSON escapes and raw characters that GDAL would cut (a NUL ends the text) or replace (a lone
# surrogate becomes U+FFFD) without a word. A match is only a suspicion (an escaped backslash
# before "u0000", a surrogate pair): the file is then parsed here to find the real ones.
_HIDDEN_IN_JSON = re.compile(r"\\u(?:000[0-8bcef]|001[0-9a-f]|007f|00[89][0-9a-f]|d[89a-f][0-9a-f]{2}|fff[ef])|"
                             r"[\x00-\x08\x0b\x0c\x0e-\x1f]", re.IGNORECASE)


def _hidden_characters(text: str, layer: LayerSpec, report: ImportReport) -> bool:
    """False, with a problem per feature and field, when the GeoJSON holds text that GDAL would
    read changed. Found by a scan of the text; only then is it parsed here to name the rows."""
    if not _HIDDEN_IN_JSON.search(text):
        return True
    from geoapp.data.validate import unstorable
    try:
        features = json.loads(text).get("features") or []
    except (ValueError, AttributeError):
        features = []
    key = layer.key_columns[0]
    for i, feature in enumerate(features if isinstance(features, list) else []):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        for name, value in (properties.items() if isinstance(properties, dict) else ()):
            reason = unstorable(value) if isinstance(value, str) else None
            if reason is not None and len(report.problems) < 10:
                label = feature_label(pd.DataFrame([properties]) if key in properties else pd.DataFrame(), layer, 0)
                label = message(label.msgid, **{**label.params, "n": i + 1})
                report.problem(N_("%(column)s: %(reason)s cannot be stored unchanged; remove it"), label,
                               column=name, reason=reason)
    return not report.problems  # escaped surrogate pairs (an emoji) are fine


def read_geojson(path: Path, layer: LayerSpec, report: ImportReport, encoding: str | None):
    data = path.read_bytes()
    text = decode_text(data, encoding, report)
    if text is None or not _legacy_crs(text, report) or not _hidden_characters(text, layer, report):
        return None
    # GDAL reads UTF-8 files as they are; other text is handed over re-encoded, in memory
    source = path if not encoding and not data.startswith(b"\xef\xbb\xbf") else io.BytesIO(text.encode("utf-8"))
    frame = read_with_gdal(source, report, message(N_("GeoJSON")), read_geometry=not layer.is_table)
    if frame is None:
        return None
    if report.file_crs is not None and not layer.is_table:
        frame = frame.set_crs(report.file_crs, allow_override=True)
    return attributes_as_text(frame) if layer.is_table else frame
