"""Several counties in one dataset: which county each row belongs to, and one county's slice.

A township names its county (`townships.county`; empty when the county layer holds one
county). Every other row belongs to a county through what it names: its township, the branch
it is about, the zone (through the zone's general branch), or the farm stay of a photo. A
county's slice is a Dataset of its rows only, which every analysis, page and report takes as
it takes the whole.
"""
from __future__ import annotations

import pandas as pd

from geoapp.data.load import Dataset


def county_codes(dataset: Dataset) -> list[str]:
    """The counties of the dataset, in the county layer's order."""
    return [str(code) for code in dataset["county"].code]


def township_counties(dataset: Dataset) -> pd.Series:
    """Each township's county code, by township code (the only county where none is named)."""
    townships = dataset["townships"]
    named = townships["county"] if "county" in townships.columns else pd.Series(None, index=townships.index)
    only = county_codes(dataset)[0] if len(dataset["county"]) == 1 else None
    return pd.Series(named.where(named.notna(), only).to_numpy(), index=townships.code.to_numpy())


def zone_counties(dataset: Dataset) -> pd.Series:
    """Each zone's county code, by zone id: the county of its general branch's township."""
    counties = township_counties(dataset)
    townships = dataset["party_organisations"].set_index("id").township
    zones = dataset["zones"]
    return pd.Series(counties.reindex(townships.reindex(zones.general_branch).to_numpy()).to_numpy(),
                     index=zones.id.to_numpy())


def county_slice(dataset: Dataset, code: str) -> Dataset:
    """The rows of county `code`: its boundary, townships, and whatever belongs to them."""
    counties = township_counties(dataset)
    townships = set(counties.index[counties.to_numpy() == code])
    frames = {}

    def rows_of(layer_id: str, column: str, keep: set) -> None:
        frame = dataset[layer_id]
        frames[layer_id] = frame[frame[column].isin(keep)]

    rows_of("county", "code", {code})
    rows_of("townships", "code", townships)
    for layer_id in dataset:
        frame = dataset[layer_id]
        if layer_id not in frames and "township" in frame.columns:
            rows_of(layer_id, "township", townships)
    organisations = set(frames["party_organisations"].id)
    rows_of("zones", "general_branch", organisations)
    zones = set(frames["zones"].id)
    for layer_id, column, keep in (("branch_activities", "branch", organisations),
                                   ("members_pipeline", "branch", organisations),
                                   ("zone_plans", "zone", zones),
                                   ("farm_stay_photos", "stay", set(frames["farm_stays"].id))):
        if layer_id in dataset:
            rows_of(layer_id, column, keep)
    for layer_id in dataset:  # anything not tied to a township (none today) is kept whole
        frames.setdefault(layer_id, dataset[layer_id])
    return Dataset(frames, f"{dataset.source} (county {code})", dataset.versions, dataset.skipped)
