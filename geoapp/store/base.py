"""What the rest of geoapp may ask of a store, and what both backends share.

Three protocols — `LayerStore`, `ProposalStore`, `UserStore` — implemented by the instance
GeoPackages (`layers`, `proposals`, `users`) and by PostGIS (`postgis`); the records they hand
out (`Version`, `Proposal`, `Revision`, `User`); and the rules both follow (what a read may ask,
how a rollback is recorded, what a proposal change may touch, who may be a user). Each backend
imports this module and nothing of the other; nothing above the storage room names a backend
(`geoapp.store.open_stores` hands out these). `tests/test_store_contract.py` runs the same
assertions against both.

A store may also cut vector tiles itself (PostGIS's ST_AsMVT): that is the `TileCutter`
capability, which the tile room asks for with `isinstance(store, TileCutter)`, not part of the
storage protocol.
"""
from __future__ import annotations

import builtins
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, TypeAlias, TypeVar, runtime_checkable

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from werkzeug.security import check_password_hash, generate_password_hash

from geoapp.layers import ID_PATTERN, LayerSpec, spec
from geoapp.messages import N_, UserError

Frame: TypeAlias = gpd.GeoDataFrame | pd.DataFrame
Bounds: TypeAlias = tuple[float, float, float, float]
T = TypeVar("T")


def created(record: T | None) -> T:
    """The record (proposal, user) a store just wrote, read back: never None, as the read follows
    the write's transaction."""
    if record is None:
        raise StoreError(N_("what was written cannot be read back"))
    return record


class StoreError(UserError):
    """A version could not be stored as it was given; nothing was published."""
    status = 422


# layer versions --------------------------------------------------------------------------------

Progress = Callable[[str, float], None]  # (what is happening, fraction done 0..1)


@dataclass(frozen=True)
class Version:
    layer: str
    version: int
    created: str
    who: str
    source_file: str
    rows: int
    checksum: str
    note: str
    current: bool = False


def table_name(layer_id: str, version: int) -> str:
    return f"{layer_id}__v{version}"


def checked_read(store: LayerStore, layer_id: str, version: int | None,
                 filters: dict | None) -> tuple[LayerSpec, int]:
    """(layer spec, version to read) for a read of either store; KeyError names what is unknown."""
    layer = spec(layer_id)
    version = version or store.current_versions().get(layer_id)
    if version is None:
        raise KeyError(f"the store has no {layer_id}")
    unknown = set(filters or {}) - {c.name for c in layer.columns}
    if unknown:
        raise KeyError(f"{layer_id} has no column {', '.join(sorted(unknown))}")
    return layer, version


def rollback(store: LayerStore, layer_id: str, version: int, who: str) -> Version:
    """Make an earlier `version` of a layer current again, recorded as a new version (either store)."""
    history = {v.version: v for v in store.history(layer_id)}
    if version not in history:
        raise KeyError(f"{layer_id} has no version {version}; it has {', '.join(map(str, history)) or 'none'}")
    old = history[version]
    store.publish({layer_id: store.read(layer_id, version)}, who, {layer_id: old.source_file},
                  {layer_id: old.checksum}, note=f"rollback to v{version}")
    return store.history(layer_id)[-1]


# proposals -------------------------------------------------------------------------------------

COLUMNS = ("name", "industry", "notes", "status", "owner", "created", "updated", "review_comment", "reviewer")
EDITABLE = ("name", "industry", "notes", "status", "geometry", "review_comment", "reviewer", "candidate")


@dataclass(frozen=True)
class Proposal:
    id: int
    name: str
    industry: str
    notes: str
    status: str
    owner: str
    created: str
    updated: str
    geometry: BaseGeometry
    review_comment: str = ""
    reviewer: str = ""
    candidate: dict | None = None   # the ranked site it came from: rank, score, factors

    def as_feature(self) -> dict:
        return {"type": "Feature", "id": self.id, "geometry": json.loads(shapely.to_geojson(self.geometry)),
                "properties": {**{c: getattr(self, c) for c in COLUMNS}, "candidate": self.candidate}}


@dataclass(frozen=True)
class Revision:
    id: int
    proposal_id: int
    at: str
    who: str
    action: str                      # created, edited, moved (status), deleted
    changes: dict = field(default_factory=dict)   # field -> [before, after]; geometry as GeoJSON
    comment: str = ""

    def as_dict(self) -> dict:
        return {"id": self.id, "proposal": self.proposal_id, "at": self.at, "who": self.who, "action": self.action,
                "changes": self.changes, "comment": self.comment}


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def check_changes(changes: dict) -> None:
    """ValueError naming any field a proposal update may not change (either store)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"cannot change {', '.join(sorted(unknown))}")


def _geojson(geometry: BaseGeometry | None):
    return None if geometry is None else json.loads(shapely.to_geojson(geometry))


def difference(before: Proposal | None, changes: dict) -> dict:
    """What `changes` change in `before`: {field: [before, after]} (the site as GeoJSON)."""
    found = {}
    for key, value in changes.items():
        old = getattr(before, key) if before is not None else None
        if key == "geometry":
            if old is None or not old.equals_exact(value, 1e-9):
                found[key] = [_geojson(old), _geojson(value)]
        elif old != value:
            found[key] = [old, value]
    return found


def revision_action(changes: dict) -> str:
    return "moved" if "status" in changes else "edited"


# activity reports ------------------------------------------------------------------------------

REPORT_FIELDS = ("branch", "date", "kind", "topic_zh", "attendance", "minutes", "photos")
REPORT_EDITABLE = ("date", "kind", "topic_zh", "attendance", "minutes", "photos")


@dataclass(frozen=True)
class ActivityReport:
    """One of the five days as a branch reported it from its phone (or an admin corrected it)."""
    id: int
    branch: str
    date: str
    kind: str
    topic_zh: str
    attendance: int
    minutes: str
    photos: tuple[str, ...]   # content hashes of its photos (`geoapp.store.photos`)
    who: str                  # who reported it
    at: str                   # when (UTC, ISO 8601)
    removed: bool = False

    @property
    def activity_id(self) -> str:
        """Its id among the branch activities: R and its number."""
        return f"R{self.id:05d}"

    def as_dict(self) -> dict:
        return {"id": self.activity_id, "branch": self.branch, "date": self.date, "kind": self.kind,
                "topic_zh": self.topic_zh, "attendance": self.attendance, "minutes": self.minutes,
                "photos": list(self.photos), "reported_by": self.who, "reported_at": self.at, "removed": self.removed}


def report_number(activity_id: str) -> int | None:
    """The number of a reported activity's id ("R00012" -> 12), or None for any other id."""
    match = re.fullmatch(r"R(\d{1,9})", activity_id)
    return int(match.group(1)) if match else None


# users -----------------------------------------------------------------------------------------

ROLES = ("planner", "admin", "branch")   # a branch user reports for one party organisation
NAME_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{2,40}")
MIN_PASSWORD = 8
MAX_PASSWORD = 200


@dataclass(frozen=True)
class User:
    name: str
    role: str
    session_version: int = 0
    branch: str = ""          # the organisation a `branch` user reports for

    # what Flask-Login asks of a user
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """What the session cookie keeps: the name and the session version it was issued for."""
        return f"{self.name}:{self.session_version}"


def session_subject(user_id: str) -> tuple[str, int] | None:
    """(name, session version) from a session's user id, or None if it is not one of ours."""
    name, _, version = user_id.rpartition(":")
    if not NAME_PATTERN.fullmatch(name) or not version.isascii() or not version.isdigit():
        return None
    return name, int(version)


def check_new_user(name: str, password: str, role: str, branch: str = "") -> None:
    """UserError saying what is wrong with a new user's name, password, role or branch (either
    store; whether the branch exists in the data is for the caller, who holds the data)."""
    if not NAME_PATTERN.fullmatch(name):
        raise UserError(N_("a user name is 2-40 letters, digits, '.', '_' or '-'"))
    if role not in ROLES:
        raise UserError(N_("role must be one of %(roles)s"), roles=", ".join(ROLES))
    if (role == "branch") != bool(branch):
        raise UserError(N_("a branch user names the party organisation they report for (and only they do)"))
    if branch and not re.fullmatch(ID_PATTERN, branch):
        raise UserError(N_("%(branch)s is not an organisation id"), branch=branch[:70])
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise UserError(N_("a password has %(least)s to %(most)s characters"), least=MIN_PASSWORD, most=MAX_PASSWORD)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return generate_password_hash("not anyone's password")


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether `password` is the one hashed; as slow for a missing user (None) as for a real one."""
    if len(password) > MAX_PASSWORD:
        password = password[:MAX_PASSWORD]  # hashing cost stays bounded; such a password never matches
    if password_hash is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(password_hash, password)


# the protocols ---------------------------------------------------------------------------------

@runtime_checkable
class LayerStore(Protocol):
    """Every version of every layer and table; a new version is published whole or not at all."""

    @property
    def path(self) -> object:
        """What messages call the store (a file, or a database URL without password)."""

    def exists(self) -> bool: ...

    def stamp(self) -> object:
        """A value that changes whenever a version is published (to know when to reload)."""

    def current_versions(self) -> dict[str, int]: ...

    def history(self, layer_id: str) -> list[Version]: ...

    def read(self, layer_id: str, version: int | None = None, bbox: Bounds | None = None,
             filters: dict[str, object] | None = None) -> Frame: ...

    def publish(self, frames: dict[str, Frame], who: str, source_files: dict[str, str], checksums: dict[str, str],
                note: str = "", progress: Progress | None = None, only_missing: bool = False) -> dict[str, int]: ...

    def rollback(self, layer_id: str, version: int, who: str) -> Version: ...

    def check_storable(self, layer_id: str, frame: Frame) -> list: ...

    def remove_stale_temporaries(self) -> list: ...


@runtime_checkable
class TileCutter(Protocol):
    """A layer store that cuts vector tiles of a stored version itself."""

    def vector_tile(self, layer_id: str, version: int, z: int, x: int, y: int, columns: list[str], points: bool,
                    rules: object) -> bytes:
        """Tile z/x/y of a layer version as Mapbox Vector Tile bytes."""


@runtime_checkable
class ProposalStore(Protocol):
    """Proposed industry bases, each write one transaction."""

    def list(self) -> builtins.list[Proposal]: ...

    def get(self, proposal_id: int) -> Proposal | None: ...

    def create(self, name: str, industry: str, geometry: BaseGeometry, owner: str, notes: str = "",
               status: str = "draft", candidate: dict | None = None) -> Proposal: ...

    def update(self, proposal_id: int, who: str, comment: str = "", **changes: object) -> Proposal | None:
        """Change some fields and record a revision (who, when, what changed, the site before and after)."""

    def delete(self, proposal_id: int, who: str = "") -> bool: ...

    def revisions(self, proposal_id: int) -> builtins.list[Revision]: ...


@runtime_checkable
class ActivityReportStore(Protocol):
    """The branches' own reports of their five days, each write one transaction with its
    revision (who, when, what changed), so a correction or a removal keeps what was there."""

    def stamp(self) -> object:
        """A value that changes whenever a report is added, changed or removed (asked at every request)."""

    def latest(self) -> int:
        """The number of the latest revision (0 before the first report)."""

    def add(self, who: str, client_key: str | None = None, **fields: object) -> tuple[ActivityReport, bool]:
        """Add a report (REPORT_FIELDS); (the report, True), or (the one added before, False) when
        `who` already sent one with `client_key` (a phone resending after the signal came back)."""

    def update(self, report_id: int, who: str, **changes: object) -> ActivityReport | None: ...

    def remove(self, report_id: int, who: str) -> ActivityReport | None: ...

    def get(self, report_id: int) -> ActivityReport | None: ...

    def list(self, include_removed: bool = False) -> builtins.list[ActivityReport]: ...

    def revisions(self, report_id: int) -> builtins.list[Revision]: ...


@runtime_checkable
class UserStore(Protocol):
    """People who may write, their sessions, and the failed log-ins the throttle counts."""

    def create(self, name: str, password: str, role: str, branch: str = "") -> User: ...

    def get(self, name: str) -> User | None: ...

    def check(self, name: str, password: str) -> User | None: ...

    def end_sessions(self, name: str) -> None: ...

    def record_failure(self, subjects: builtins.list[str], window_s: float) -> None: ...

    def failures(self, subject: str, window_s: float) -> tuple[int, float | None]: ...

    def clear_failures(self, subject: str) -> None: ...
