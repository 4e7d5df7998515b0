"""Coverage: what each township and zone holds, and where coverage is missing.

Inputs are a dataset already passed through `joins.join_locations` (every point and base has
`township_at` and `zone_at`). Outputs are GeoDataFrames in EPSG:4326; areas are measured in
UTM 48N.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geoapp.analysis.summary import latest_output, weighted_income_gain
from geoapp.crs import area_km2, area_mu, to_metric
from geoapp.data.load import Dataset
from geoapp.indicators import (
    SHADING,
    YEARLY,
    Indicator,
    add_derived,
    change_id,
    change_indicator,
)
from geoapp.messages import N_

# Bases that party branches are built on; training and remote-education sites are services,
# often in villages outside the zones, and are not coverage gaps.
SERVED_BASE_KINDS = ("production", "cooperative")
# Organisations that serve a place; sector branches sit in county bureaus and serve sectors.
SERVING_ORGANISATION_KINDS = ("general", "industry", "association")
# A zone "covers" a township when it shares at least this much of its area (km²).
MIN_SHARED_AREA_KM2 = 0.5


def coverage_metrics(townships: pd.DataFrame) -> dict[str, Indicator]:
    """Every indicator the township table can be shaded by: the shading indicators, then the
    change of each yearly indicator since each earlier year the data holds."""
    metrics = dict(SHADING)
    for column in townships.columns:
        base, _sep, year = column.rpartition("_change_")
        if base in YEARLY and year.isdigit():
            metrics[column] = change_indicator(base, int(year))
    return metrics


def _count_by(frame: pd.DataFrame, column: str, mask=None) -> pd.Series:
    rows = frame if mask is None else frame[mask]
    return rows.groupby(column).size()


def _sum_by(frame: pd.DataFrame, column: str, value: str, mask=None) -> pd.Series:
    rows = frame if mask is None else frame[mask]
    return rows.groupby(column)[value].sum()


def zone_township_overlaps(dataset: Dataset) -> pd.DataFrame:
    """(zone, township, shared_km2) for every zone–township pair sharing over MIN_SHARED_AREA_KM2."""
    zones = to_metric(dataset["zones"][["id", "geometry"]]).rename(columns={"id": "zone"})
    townships = to_metric(dataset["townships"][["code", "geometry"]]).rename(columns={"code": "township"})
    shared = gpd.overlay(zones, townships, how="intersection", keep_geom_type=True)
    shared["shared_km2"] = shared.area / 1e6
    shared = shared[shared.shared_km2 >= MIN_SHARED_AREA_KM2]
    return pd.DataFrame(shared[["zone", "township", "shared_km2"]]).sort_values(["zone", "township"],
                                                                               ignore_index=True)


def _figures_by(dataset: Dataset, place: str) -> pd.DataFrame:
    """The indicators grouped by `place` ('township' or 'zone'): located points, table rows."""
    located = {"township": "township_at", "zone": "zone_at"}[place]
    organisations = dataset["party_organisations"]
    bases = dataset["industry_bases"]
    cooperatives = dataset["cooperatives"]
    training = dataset["training_sessions"]
    output = latest_output(dataset)
    columns = {
        "industry_branches": _count_by(organisations, located, organisations.kind == "industry"),
        "association_branches": _count_by(organisations, located, organisations.kind == "association"),
        "party_groups": _sum_by(organisations, located, "party_groups"),
        "party_members": _sum_by(organisations, located, "members"),
        "loans": _count_by(dataset["loans"], place),
        "loan_amount_yuan": _sum_by(dataset["loans"], place, "amount_yuan"),
        "trainees": _sum_by(training, place, "participants", training.kind == "training"),
        "cooperatives": _count_by(cooperatives, located, cooperatives.kind == "cooperative"),
        "bases": _count_by(bases, located),
        "base_area_mu": _sum_by(bases.assign(measured_mu=area_mu(bases)), located, "measured_mu"),
        "households_benefiting": _sum_by(output, place, "households_benefiting"),
        "tourist_visits": _sum_by(output, place, "tourist_visits"),
        "tourism_income_yuan": _sum_by(output, place, "tourism_income_yuan"),
        "labour_transfer": _sum_by(output, place, "labour_transfer"),
        "farm_stays": _count_by(dataset["farm_stays"], located),
    }
    figures = pd.DataFrame(columns).fillna(0)
    gains = output.groupby(place)[["income_gain_yuan_per_capita", "households_benefiting"]].apply(
        weighted_income_gain)
    figures["income_gain_yuan_per_capita"] = gains.reindex(figures.index).fillna(0).round()
    return figures


def township_table(dataset: Dataset) -> gpd.GeoDataFrame:
    """Townships with every indicator of TOWNSHIP_METRICS, the zones they share and served-ness."""
    townships = dataset["townships"]
    figures = _figures_by(dataset, "township").reindex(townships.code).fillna(0)
    overlaps = zone_township_overlaps(dataset)
    table = townships[["code", "name_zh", "name_en", "kind", "population", "villages", "area_km2_reported",
                       "coord_source", "geometry"]].copy()
    for column in figures.columns:
        values = figures[column].to_numpy()
        table[column] = values.round(1) if column == "base_area_mu" else values.astype("int64")
    table["area_km2"] = area_km2(townships).round(1).to_numpy()
    in_zones = overlaps.groupby("township").shared_km2.sum().reindex(townships.code).fillna(0).to_numpy()
    table["zone_share"] = (100 * in_zones / table.area_km2).clip(0, 100).round(1)
    table["zones"] = (overlaps.groupby("township", sort=False).zone.agg(", ".join)  # in the overlaps' order
                      .reindex(townships.code).fillna("").to_numpy())
    serving = dataset["party_organisations"]
    serving = serving[serving.kind.isin(SERVING_ORGANISATION_KINDS)]
    table["served"] = table.code.isin(serving.township_at)
    output = dataset["yearly_output"]
    for year in sorted(output.year.unique())[:-1]:  # the change since each earlier year
        earlier = output[output.year == year].groupby("township")[list(YEARLY)].sum().reindex(
            townships.code).fillna(0)
        for metric in YEARLY:
            table[change_id(metric, int(year))] = (table[metric] - earlier[metric].to_numpy()).astype("int64")
    return add_derived(table, "township")


def zone_table(dataset: Dataset) -> gpd.GeoDataFrame:
    """Zones with their townships, area, and the same indicators as townships."""
    zones = dataset["zones"]
    figures = _figures_by(dataset, "zone").reindex(zones.id).fillna(0)
    overlaps = zone_township_overlaps(dataset)
    general = dataset["party_organisations"].set_index("id").name_zh
    table = zones[["id", "name_zh", "name_en", "lead_industry", "general_branch", "secretary", "geometry"]].copy()
    table["general_branch_name"] = table.general_branch.map(general).to_numpy()
    table["area_km2"] = area_km2(zones).round(1).to_numpy()
    table["townships"] = [", ".join(overlaps[overlaps.zone == zid].township) for zid in zones.id]
    table["township_count"] = [int((overlaps.zone == zid).sum()) for zid in zones.id]
    for column in figures.columns:
        values = figures[column].to_numpy()
        table[column] = values.round(1) if column == "base_area_mu" else values.astype("int64")
    return add_derived(table, "zone")


@dataclass(frozen=True)
class CoverageGaps:
    """Each kind of gap as a GeoDataFrame of the features concerned, with a `reason`."""
    bases_outside_zones: gpd.GeoDataFrame
    bases_without_branch: gpd.GeoDataFrame
    townships_without_branch: gpd.GeoDataFrame
    villages_without_branch: gpd.GeoDataFrame

    def reasons_for(self, feature_id: str) -> list[str]:
        """Every gap reason recorded for the base or village id or township code `feature_id`."""
        return [reason for frame, key in ((self.bases_outside_zones, "id"), (self.bases_without_branch, "id"),
                                          (self.townships_without_branch, "code"), (self.villages_without_branch, "id"))
                for reason in frame.loc[frame[key] == feature_id, "reason"]]

    def as_dict(self) -> dict[str, gpd.GeoDataFrame]:
        return {"bases_outside_zones": self.bases_outside_zones,
                "bases_without_branch": self.bases_without_branch,
                "townships_without_branch": self.townships_without_branch,
                "villages_without_branch": self.villages_without_branch}


def coverage_gaps(dataset: Dataset) -> CoverageGaps:
    """Industry bases outside every zone, bases no party organisation serves, townships where no
    serving party organisation (general, industry, association branch) lies, and villages no
    branch serves (none named, or one the data does not hold)."""
    bases = dataset["industry_bases"]
    served_kind = bases[bases.kind.isin(SERVED_BASE_KINDS)]
    outside = served_kind[served_kind.zone_at.isna()].copy()
    outside["reason"] = N_("outside every linkage zone")
    organisations = dataset["party_organisations"]
    without = served_kind[~served_kind.id.isin(organisations.base.dropna())].copy()
    without["reason"] = N_("no party organisation serves this base")
    townships = township_table(dataset)
    unserved = townships[~townships.served].copy()
    unserved["reason"] = N_("no zone party branch in this township")
    villages = dataset["villages"]
    lonely = villages[~villages.branch.isin(organisations.id)].copy()
    lonely["reason"] = N_("no branch serves this village")
    keep = ["id", "name_zh", "name_en", "industry", "kind", "township_at", "zone_at", "reason", "geometry"]
    return CoverageGaps(outside[keep].reset_index(drop=True), without[keep].reset_index(drop=True),
                        unserved[["code", "name_zh", "name_en", "zones", "reason", "geometry"]]
                        .reset_index(drop=True),
                        lonely[["id", "name_zh", "name_en", "township_at", "zone_at", "reason", "geometry"]]
                        .reset_index(drop=True))
