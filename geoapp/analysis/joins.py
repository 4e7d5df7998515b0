"""Joins of the layers: points and bases to the township and zone they lie in.

The data keeps the township and zone each row *claims*; these joins add where each row
*lies* (`township_at`, `zone_at`), which the coverage analysis trusts. Rows whose claim
and location disagree are listed by `location_mismatches`.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geoapp.data.load import Dataset

LOCATED_LAYERS = ("industry_bases", "party_organisations", "cooperatives", "farm_stays", "festivals")


def locate(features: gpd.GeoDataFrame, townships: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`features` with `township_at` and `zone_at`: the township and zone that hold each
    feature's representative point (a polygon's lies inside it), or None outside all."""
    anchors = gpd.GeoDataFrame({"row": range(len(features))},
                               geometry=features.geometry.representative_point(), crs=features.crs)
    located = features.copy(deep=False)  # copy-on-write: shares the columns it does not change
    for column, polygons, key in (("township_at", townships, "code"), ("zone_at", zones, "id")):
        hits = gpd.sjoin(anchors, polygons[[key, "geometry"]], predicate="within", how="left")
        first = hits.drop_duplicates("row").set_index("row")[key]
        located[column] = first.reindex(range(len(features))).to_numpy()
        located[column] = located[column].astype(object).where(located[column].notna(), None)
    return located


def join_locations(dataset: Dataset) -> Dataset:
    """The dataset with every point and base layer located in townships and zones."""
    joined = dataset
    for layer_id in LOCATED_LAYERS:
        joined = joined.replace(layer_id, locate(dataset[layer_id], dataset["townships"], dataset["zones"]))
    return joined


def location_mismatches(dataset: Dataset) -> pd.DataFrame:
    """Rows whose claimed township or zone is not where they lie (layer, id, claimed, located)."""
    columns = ["layer", "id", "field", "claimed", "located"]
    found = []
    for layer_id in LOCATED_LAYERS:
        frame = dataset[layer_id]
        for claim, located in (("township", "township_at"), ("zone", "zone_at")):
            # An empty claim is no claim: sector branches sit in a zone but belong to none.
            differs = frame[claim].notna() & (frame[claim].fillna("") != frame[located].fillna(""))
            rows = frame.loc[differs, ["id", claim, located]]
            found.append(pd.DataFrame({"layer": layer_id, "id": rows["id"].to_numpy(), "field": claim,
                                       "claimed": rows[claim].to_numpy(), "located": rows[located].to_numpy()},
                                      columns=columns))
    table = pd.concat(found, ignore_index=True)
    return table.astype(object).where(table.notna(), None)
