"""The analysis room: joins, summary, coverage. GeoDataFrames in; GeoDataFrames or dicts out.
No Flask and no folium here."""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geoapp.analysis.branches import Standing, standing
from geoapp.analysis.coverage import (
    CoverageGaps,
    coverage_gaps,
    coverage_metrics,
    township_table,
    zone_table,
)
from geoapp.analysis.farmstays import FarmStayIndex, places, prepare_farm_stays
from geoapp.analysis.joins import join_locations, location_mismatches
from geoapp.analysis.summary import county_summary
from geoapp.data.load import Dataset
from geoapp.indicators import Indicator


@dataclass(frozen=True)
class CountyAnalysis:
    """Everything the pages and the API show, computed once when the data is loaded."""
    dataset: Dataset                 # layers with `township_at` / `zone_at` joined in
    summary: dict[str, int]
    townships: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    gaps: CoverageGaps
    mismatches: pd.DataFrame
    farm_stays: gpd.GeoDataFrame     # ready to show: pinyin names, township names, zone industry
    places: dict[str, tuple[float, float]]  # festival venues and township seats, (lat, lon)
    metrics: dict[str, Indicator]    # what the coverage map can shade townships by
    farm_stay_index: FarmStayIndex   # the same farm stays as arrays, for searching and map clusters
    standing: Standing               # each organisation's five days in the latest month with records


def analyse(dataset: Dataset, remembered=None) -> CountyAnalysis:
    """Join the layers and compute the summary, the tables and the gaps. `remembered` (the
    store's `DerivedTexts`) keeps texts dear to derive, such as the pinyin of names."""
    joined = join_locations(dataset)
    townships = township_table(joined)
    farm_stay_index = FarmStayIndex(*prepare_farm_stays(joined["farm_stays"], joined["townships"], joined["zones"],
                                                        remembered))
    return CountyAnalysis(
        dataset=joined,
        summary=county_summary(joined),
        townships=townships,
        zones=zone_table(joined),
        gaps=coverage_gaps(joined),
        mismatches=location_mismatches(joined),
        farm_stays=farm_stay_index.stays,
        places=places(joined["festivals"], joined["townships"]),
        metrics=coverage_metrics(townships),
        farm_stay_index=farm_stay_index,
        standing=standing(joined["party_organisations"], joined["branch_activities"]),
    )
