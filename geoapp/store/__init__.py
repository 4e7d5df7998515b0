"""The storage room: where the layers' versions, the proposals and the users are kept.

Without DATABASE_URL: GeoPackages in the instance folder (`layers.gpkg`, replaced whole by
`os.replace`; `geoapp.gpkg`, written row by row in WAL mode). With it: PostGIS, behind the
same protocols (`geoapp.store.base`). `open_stores` is the one door; nothing above this
room knows which kind it got.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from geoapp.store.base import LayerStore, ProposalStore, UserStore
from geoapp.store.derived import DerivedTexts
from geoapp.store.photos import PhotoFiles

PROPOSALS_FILE = "geoapp.gpkg"  # in the instance folder: proposals and users


@dataclass(frozen=True)
class Stores:
    layers: LayerStore
    proposals: ProposalStore
    users: UserStore
    photos: PhotoFiles
    derived: DerivedTexts   # texts dear to derive (pinyin of names), kept per content
    instance: Path          # the instance folder (files kept beside the stores: photos, documents)


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
        engine = connect(database_url)
        return Stores(PostgisLayerStore(engine), PostgisProposalStore(engine), PostgisUserStore(engine), photo_files,
                      derived, Path(instance))
    from geoapp.store.layers import GeoPackageLayerStore
    from geoapp.store.proposals import GeoPackageProposalStore
    from geoapp.store.users import GeoPackageUserStore
    path = Path(instance) / PROPOSALS_FILE
    return Stores(GeoPackageLayerStore(Path(instance)), GeoPackageProposalStore(path), GeoPackageUserStore(path),
                  photo_files, derived, Path(instance))
