"""The storage room: where the layers' versions, the proposals, the users and the branches'
activity reports are kept.

Without DATABASE_URL: GeoPackages in the instance folder (`layers.gpkg`, replaced whole by
`os.replace`; `geoapp.gpkg`, written row by row in WAL mode). With it: PostGIS, behind the
same protocols (`geoapp.store.base`). `open_stores` is the one door; nothing above this
room knows which kind it got.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from geoapp.messages import N_, UserError
from geoapp.store.base import ActivityReportStore, LayerStore, ProposalStore, UserStore
from geoapp.store.derived import DerivedTexts
from geoapp.store.health import DAMAGED_FILE_WORDS, StoreDamaged, StoreFull, check_file, damaged
from geoapp.store.photos import PhotoFiles

__all__ = ["DAMAGED_FILE_WORDS", "ActivityReportStore", "LayerStore", "ProposalStore", "StoreDamaged", "StoreFull", "Stores",
           "UserStore", "damaged", "open_stores"]
PROPOSALS_FILE = "geoapp.gpkg"  # in the instance folder: proposals and users


@dataclass(frozen=True)
class Stores:
    layers: LayerStore
    proposals: ProposalStore
    users: UserStore
    reports: ActivityReportStore   # the branches' reports of their five days
    photos: PhotoFiles
    derived: DerivedTexts   # texts dear to derive (pinyin of names), kept per content
    instance: Path          # the instance folder (files kept beside the stores: photos, documents)
    database: bool = False  # a database server (each question a round trip), not files of this machine


def instance_files(instance: Path) -> list[Path]:
    """The GeoPackages of an instance folder (whichever exist)."""
    from geoapp.store.layers import STORE_FILE
    return [path for path in (instance / STORE_FILE, instance / PROPOSALS_FILE) if path.exists()]


def check_instance(instance: Path, full_check: bool = False) -> None:
    """StoreDamaged naming the first GeoPackage of the instance folder that is not sound (the
    header and schema, or with `full_check` every page)."""
    for path in instance_files(instance):
        check_file(path, full_check)


def diagnosis(instance: Path, err: BaseException) -> UserError:
    """What an unexpected SQLite error means for a person: the damaged file named (or a full
    disk), else the error as it is."""
    from geoapp.store.health import StoreDamaged, folder_refuses, full, is_disk_full
    files = [Path(f"{path}{sidecar}") for path in instance_files(instance) for sidecar in ("", "-wal")]
    if is_disk_full(err) or ("i/o error" in str(err).lower() and folder_refuses(instance, files)):
        return full(instance)
    try:
        check_instance(instance, full_check=True)
    except StoreDamaged as found:
        return found
    return UserError(N_("the store could not be read: %(reason)s"), reason=str(err)[:200])


def keep_start_copies(instance: Path) -> None:
    """At start, when they are sound: a copy of the proposals and users GeoPackage (the layer
    store's copy is made at each publish)."""
    from geoapp.store.health import keep_copy
    path = instance / PROPOSALS_FILE
    if path.exists():
        keep_copy(path)


def open_stores(instance: str | Path, database_url: str | None = None) -> Stores:
    """The stores of an instance folder, or of the PostGIS database at `database_url`, with
    their schema brought up to date (once, under a lock, however many processes open them).
    Photo files and derived texts live in the instance folder either way (see
    `geoapp.store.photos`, `geoapp.store.derived`)."""
    photo_files = PhotoFiles(Path(instance) / "photos")
    derived = DerivedTexts(Path(instance) / "derived")
    if database_url:
        from geoapp.store.postgis import (
            PostgisLayerStore,
            PostgisProposalStore,
            PostgisUserStore,
            connect,
        )
        from geoapp.store.reports import PostgisReports
        engine = connect(database_url)
        return Stores(PostgisLayerStore(engine), PostgisProposalStore(engine), PostgisUserStore(engine),
                      PostgisReports(engine), photo_files, derived, Path(instance), database=True)
    from geoapp.store.layers import GeoPackageLayerStore
    from geoapp.store.proposals import GeoPackageProposalStore
    from geoapp.store.reports import GeoPackageReports
    from geoapp.store.users import GeoPackageUserStore
    check_instance(Path(instance))
    path = Path(instance) / PROPOSALS_FILE
    return Stores(GeoPackageLayerStore(Path(instance)), GeoPackageProposalStore(path), GeoPackageUserStore(path),
                  GeoPackageReports(path), photo_files, derived, Path(instance))
