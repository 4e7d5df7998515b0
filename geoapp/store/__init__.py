"""The storage room: where the layers' versions, the proposals and the users are kept.

Without DATABASE_URL: GeoPackages in the instance folder (`layers.gpkg`, replaced whole by
`os.replace`; `geoapp.gpkg`, written row by row in WAL mode). With it: PostGIS, behind the
same methods (`geoapp.store.postgis`). `open_stores` is the one door; nothing above this
room knows which kind it got.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROPOSALS_FILE = "geoapp.gpkg"  # in the instance folder: proposals and users


@dataclass(frozen=True)
class Stores:
    layers: object      # LayerStore or PostgisLayerStore
    proposals: object   # ProposalStore or PostgisProposalStore
    users: object       # UserStore or PostgisUserStore


def open_stores(instance: str | Path, database_url: str | None = None) -> Stores:
    if database_url:
        from geoapp.store.postgis import PostgisLayerStore, PostgisProposalStore, PostgisUserStore, connect
        engine = connect(database_url)
        return Stores(PostgisLayerStore(engine), PostgisProposalStore(engine), PostgisUserStore(engine))
    from geoapp.store.layers import LayerStore
    from geoapp.store.proposals import ProposalStore
    from geoapp.store.users import UserStore
    path = Path(instance) / PROPOSALS_FILE
    return Stores(LayerStore(Path(instance)), ProposalStore(path), UserStore(path))
