"""Joins of the layers: points and bases to the township and zone they lie in.

The data keeps the township and zone each row *claims*; these joins add where each row
*lies* (`township_at`, `zone_at`), which the coverage analysis trusts. Rows whose claim
and location disagree are listed by `location_mismatches`.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp.data.load import Dataset

LOCATED_LAYERS = ("industry_bases", "party_organisations", "cooperatives", "farm_stays", "festivals", "villages")


def locate(features: gpd.GeoDataFrame, townships: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`features` with `township_at` and `zone_at`: the township and zone that hold each
    feature's representative point (a polygon's lies inside it; a point is its own), or None
    outside all; where two hold it, the first in their layer's order."""
    geometries = features.geometry.to_numpy()
    anchors = geometries.copy()
    not_points = shapely.get_type_id(anchors) != 0
    anchors[not_points] = shapely.point_on_surface(anchors[not_points])
    located = features.copy(deep=False)  # copy-on-write: shares the columns it does not change
    for column, polygons, key in (("township_at", townships, "code"), ("zone_at", zones, "id")):
        inside, holder = shapely.STRtree(polygons.geometry.to_numpy()).query(anchors, predicate="within")
        order = np.lexsort((holder, inside))
        inside, holder = inside[order], holder[order]
        rows, first = np.unique(inside, return_index=True)
        found = np.full(len(features), None, dtype=object)
        found[rows] = polygons[key].to_numpy(dtype=object)[holder[first]]
        located[column] = pd.Series(found, index=features.index, dtype=object)  # None stays None
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
