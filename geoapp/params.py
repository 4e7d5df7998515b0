"""Checking what a request asks for: query parameters and JSON bodies, in one place.

Every route (pages, the JSON API, the OGC API) reads its parameters through these functions,
so the same text gives the same answer everywhere. Only ASCII digits are numbers (`²` and
Arabic-Indic digits are not), numbers and texts have bounded lengths, dates lie between
1900 and 2199, JSON bodies are bounded in depth and in the size of their numbers. A wrong
value raises `ParamError` naming the parameter; `geoapp.web.errors` answers it with a 400 (or
the error's own status) in the user's language. No Flask here: the OGC module uses it too.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Collection, Mapping

from geoapp.messages import N_, Message, UserError, message

MAX_DIGITS = 12              # a whole number in a parameter
MAX_NUMBER_TEXT = 32         # a decimal number in a parameter, as text
MAX_JSON_DEPTH = 32          # GeoJSON needs 5 levels (MultiPolygon coordinates) plus its envelope
MAX_JSON_NUMBER_TEXT = 40    # digits of a number inside a JSON body
FIRST_YEAR, LAST_YEAR = 1900, 2199

_WHOLE = re.compile(rf"\A[0-9]{{1,{MAX_DIGITS}}}\Z", re.ASCII)
_DECIMAL = re.compile(r"\A[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?\Z", re.ASCII)
_DATE = re.compile(r"\A([0-9]{4})-([0-9]{2})-([0-9]{2})\Z", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class ParamError(UserError):
    """A request parameter (or a field of its body) is wrong; `parameter` names it."""


def _raw(args: Mapping[str, str], name: str) -> str:
    value = args.get(name)
    return value.strip() if isinstance(value, str) else ""


def whole(args: Mapping[str, str], name: str, low: int, high: int, default: int | None = None) -> int | None:
    """A whole number from `low` to `high` (ASCII digits only), or `default` when absent."""
    raw = _raw(args, name)
    if not raw:
        return default
    if not _WHOLE.match(raw) or not low <= int(raw) <= high:
        raise ParamError(N_("%(name)s must be a whole number from %(low)s to %(high)s, not “%(value)s”"),
                         parameter=name, name=name, low=low, high=high, value=shown(raw))
    return int(raw)


def number(args: Mapping[str, str], name: str, low: float, high: float, default: float | None = None) -> float | None:
    """A decimal number from `low` to `high`, or `default` when absent."""
    raw = _raw(args, name)
    if not raw:
        return default
    value = float(raw) if len(raw) <= MAX_NUMBER_TEXT and _DECIMAL.match(raw) else math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise ParamError(N_("%(name)s must be a number from %(low)s to %(high)s, not “%(value)s”"),
                         parameter=name, name=name, low=plain_number(low), high=plain_number(high), value=shown(raw))
    return value


def iso_date(args: Mapping[str, str], name: str) -> dt.date | None:
    """A date written YYYY-MM-DD between 1900 and 2199, or None when absent."""
    raw = _raw(args, name)
    if not raw:
        return None
    found = _DATE.match(raw)
    try:
        value = dt.date(*map(int, found.groups())) if found else None
    except ValueError:
        value = None
    if value is None or not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ParamError(N_("%(name)s must be a date from %(first)s to %(last)s written like 2027-03-20, not “%(value)s”"),
                         parameter=name, name=name, first=FIRST_YEAR, last=LAST_YEAR, value=shown(raw))
    return value


def choice(args: Mapping[str, str], name: str, known: Collection[str]) -> str | None:
    """One of `known`, or None when absent."""
    raw = _raw(args, name)
    if raw and raw not in known:
        raise ParamError(N_("%(name)s: there is no “%(value)s”"), parameter=name, name=name, value=shown(raw))
    return raw or None


def text(args: Mapping[str, str], name: str, max_length: int) -> str | None:
    """Free text of at most `max_length` characters without control characters, or None."""
    raw = _raw(args, name)
    if len(raw) > max_length:
        raise ParamError(N_("%(name)s is %(length)s characters long; at most %(most)s"),
                         parameter=name, name=name, length=len(raw), most=max_length)
    if _CONTROL.search(raw):
        raise ParamError(N_("%(name)s contains control characters"), parameter=name, name=name)
    return raw or None


def names(args: Mapping[str, str], name: str, known: Collection[str], most: int = 50) -> list[str]:
    """A comma-separated list of some of `known` (an empty list when absent), in the order given."""
    raw = _raw(args, name)
    if len(raw) > most * 64:
        raise ParamError(N_("%(name)s is %(length)s characters long; at most %(most)s"),
                         parameter=name, name=name, length=len(raw), most=most * 64)
    chosen = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in known]
    if unknown or len(chosen) > most:
        raise ParamError(N_("%(name)s: there is no “%(value)s”; choose from %(known)s"), parameter=name, name=name,
                         value=shown(unknown[0] if unknown else raw), known=", ".join(known))
    return chosen


def lat_lon(args: Mapping[str, str], name: str) -> tuple[float, float] | None:
    """LAT,LON in degrees, or None when absent."""
    raw = _raw(args, name)
    if not raw:
        return None
    parts = [p.strip() for p in raw.split(",")]
    values = [float(p) if len(p) <= MAX_NUMBER_TEXT and _DECIMAL.match(p) else math.nan for p in parts]
    if len(values) != 2 or not -90 <= values[0] <= 90 or not -180 <= values[1] <= 180:
        raise ParamError(N_("%(name)s must be LAT,LON in degrees (latitude -90 to 90, longitude -180 to 180), "
                            "e.g. 29.35,102.68; not “%(value)s”"), parameter=name, name=name, value=shown(raw))
    return values[0], values[1]


def bbox(args: Mapping[str, str], name: str = "bbox", axes: str = "lonlat") -> tuple[float, float, float, float] | None:
    """minLon,minLat,maxLon,maxLat in degrees (four numbers, or six with heights, which are
    dropped), or None when absent; `axes`: "latlon" for a latitude-first CRS, "metres" for a
    projected one (no limits of degrees then)."""
    raw = _raw(args, name)
    if not raw:
        return None
    parts = [p.strip() for p in raw.split(",")]
    values = [float(p) if len(p) <= MAX_NUMBER_TEXT and _DECIMAL.match(p) else math.nan for p in parts]
    if len(values) == 6:  # minX,minY,minZ,maxX,maxY,maxZ: the heights do not matter here
        values = [values[0], values[1], values[3], values[4]]
    if (len(values) != 4 or not all(math.isfinite(v) for v in values) or values[0] > values[2]
            or values[1] > values[3] or not _in_range(values, axes)):
        raise ParamError(N_("%(name)s must be minLon,minLat,maxLon,maxLat in degrees (WGS-84), not “%(value)s”"),
                         parameter=name, name=name, value=shown(raw))
    return values[0], values[1], values[2], values[3]


def _in_range(values: list[float], axes: str) -> bool:
    if axes == "metres":
        return True
    lon, lat = (values[1::2], values[0::2]) if axes == "latlon" else (values[0::2], values[1::2])
    return all(-180 <= v <= 180 for v in lon) and all(-90 <= v <= 90 for v in lat)


# JSON bodies ---------------------------------------------------------------------------------

def _bounded_int(text: str) -> int:
    if len(text) > MAX_JSON_NUMBER_TEXT:
        raise ParamError(N_("the body holds a number with %(digits)s digits; at most %(most)s"),
                         digits=len(text), most=MAX_JSON_NUMBER_TEXT)
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_JSON_NUMBER_TEXT:
        raise ParamError(N_("the body holds a number with %(digits)s digits; at most %(most)s"),
                         digits=len(text), most=MAX_JSON_NUMBER_TEXT)
    value = float(text)
    if not math.isfinite(value):
        raise ParamError(N_("the body holds a number too large to use: %(value)s"), value=shown(text))
    return value


def _no_constant(name: str):
    raise ParamError(N_("the body holds %(value)s, which is not a JSON number"), value=name)


def json_document(body: str, max_depth: int = MAX_JSON_DEPTH):
    """The JSON value of `body`; ParamError (400) when it is not JSON, is nested deeper than
    `max_depth`, or holds numbers longer than MAX_JSON_NUMBER_TEXT characters."""
    try:
        value = json.loads(body, parse_int=_bounded_int, parse_float=_bounded_float, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise ParamError(N_("the body is not valid JSON: %(reason)s at line %(line)s, column %(column)s"),
                         reason=err.msg, line=err.lineno, column=err.colno) from None
    except RecursionError:
        raise ParamError(N_("the body is nested more than %(most)s levels deep"), most=max_depth) from None
    if depth(value) > max_depth:
        raise ParamError(N_("the body is nested more than %(most)s levels deep"), most=max_depth)
    return value


def depth(value) -> int:
    """How deeply lists and objects nest in `value` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def field_of(document, name: str, kind: type | tuple[type, ...], what: Message, required: bool = True):
    """`document[name]` when it is of `kind`; ParamError (422) naming the field otherwise."""
    if not isinstance(document, dict):
        raise ParamError(N_("send a JSON object, not %(kind)s"), status=422, kind=json_kind(document))
    if name not in document or document[name] is None:
        if required:
            raise ParamError(N_("%(name)s is missing: it must be %(what)s"), status=422, parameter=name,
                             name=name, what=what)
        return None
    value = document[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise ParamError(N_("%(name)s must be %(what)s, not %(kind)s"), status=422, parameter=name, name=name,
                         what=what, kind=json_kind(value))
    return value


def json_kind(value) -> Message:
    """What a JSON value is, in JSON's words."""
    if value is None:
        return message(N_("null"))
    if isinstance(value, bool):
        return message(N_("a boolean"))
    if isinstance(value, (int, float)):
        return message(N_("a number"))
    if isinstance(value, str):
        return message(N_("a string"))
    if isinstance(value, list):
        return message(N_("an array"))
    return message(N_("an object"))


# Showing values in messages ------------------------------------------------------------------

def shown(value: str, limit: int = 40) -> str:
    """A value as a message quotes it: control characters escaped, long text cut."""
    escaped = _CONTROL.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), value)
    return escaped if len(escaped) <= limit else escaped[:limit] + "…"


def plain_number(value: float) -> str:
    """1000000.0 as '1000000', 2.5 as '2.5' (never 1e+06)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


_COORDINATE = re.compile(r"([+-]?(?:[0-9]{1,3}(?:\.[0-9]{0,12})?|\.[0-9]{1,12}))\s*°?\s*([NSEWnsew]?)", re.ASCII)
_SEPARATORS = re.compile(r"[,，;；、/\s]+")


def typed_point(args: Mapping[str, str], name: str) -> list[tuple[float, float]] | None:
    """The point a person typed or pasted as two numbers ("102.68, 29.35", "29.35 102.68",
    "29.35N 102.68E", from Amap's "复制坐标" or a GPS): every reading of it as (lon, lat), one when
    the range or a hemisphere letter tells longitude from latitude (|value| > 90 is a longitude),
    both when it cannot be told (the person is asked); None when absent."""
    raw = _raw(args, name)
    if not raw:
        return None
    parts = [p for p in _SEPARATORS.split(raw[:MAX_NUMBER_TEXT * 2]) if p]
    found = [_COORDINATE.fullmatch(p) for p in parts]
    if len(parts) != 2 or not all(found) or len(raw) > MAX_NUMBER_TEXT * 2:
        raise ParamError(N_("%(name)s must be two numbers in degrees, longitude and latitude in either order "
                            "(e.g. 102.68, 29.35), not “%(value)s”"), parameter=name, name=name, value=shown(raw))
    (a, a_side), (b, b_side) = ((float(m[1]) * (-1 if m[2].upper() in "SW" and m[2] else 1), m[2].upper())
                                for m in found if m is not None)
    readings = []
    for lon, lat, lon_side, lat_side in ((a, b, a_side, b_side), (b, a, b_side, a_side)):
        if lon_side in ("N", "S") or lat_side in ("E", "W"):
            continue   # a letter says which is which
        if -180 <= lon <= 180 and -90 <= lat <= 90:
            readings.append((lon, lat))
    if not readings:
        raise ParamError(N_("%(name)s: “%(value)s” is not a place on Earth (latitude -90 to 90, longitude -180 to "
                            "180)"), parameter=name, name=name, value=shown(raw))
    return readings
