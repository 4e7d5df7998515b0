"""The indicators: every figure a township or zone is measured by, written once.

Each `Indicator` says what it is called and counted in (catalog msgids), which tables carry it
(townships, zones), whether the coverage map can shade townships by it, which popups show it,
and whether it concerns few enough people to be hidden from the public. The coverage analysis
computes it, the map, the popups, the side tables, CSV/XLSX, the JSON API and the report read
it from here. Adding an indicator is one entry (with `derive` when it is computed from the
others) plus its catalogue words.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd

from geoapp.messages import N_

TOWNSHIP, ZONE = "township", "zone"
MIN_PUBLIC_COUNT = 5   # counts of people from 1 to 4 are not shown to the public (a loan's amount would be a person's)
BOTH = (TOWNSHIP, ZONE)


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str                                    # catalog msgid (English)
    unit: str = ""                                # msgid of the unit written after a number ("" for none)
    scopes: tuple[str, ...] = BOTH                # the tables (township, zone) that carry it
    shading: bool = True                          # the coverage map can shade townships by it
    popups: tuple[str, ...] = BOTH                # the popups (township, zone) that show it
    measure: bool = False                         # its unit belongs in a table's heading ("Loan amount (yuan)")
    private_unless: str | None = None             # public only where this count of people is 5 or more
    derive: Callable[[pd.DataFrame], pd.Series] | None = None  # computed from the row's other indicators
    since: int | None = None                      # a change indicator: the change since this year

    def title(self, translate) -> str:
        """What the indicator is called, in the language of `translate`."""
        if self.since is None:
            return translate(self.label)
        return translate(N_("%(indicator)s: change since %(year)s")) % {"indicator": translate(self.label),
                                                                        "year": self.since}

    def heading(self, translate) -> str:
        """A table's column heading: the title, with the unit when it is a measure."""
        if not self.measure or not self.unit:
            return self.title(translate)
        return translate(N_("%(indicator)s (%(unit)s)")) % {"indicator": self.title(translate),
                                                             "unit": translate(self.unit)}


def _per(numerator: str, denominator: str) -> Callable[[pd.DataFrame], pd.Series]:
    """A ratio of two indicators of the same row; none where the denominator is 0."""
    def ratio(table: pd.DataFrame) -> pd.Series:
        below = table[denominator].astype(float)
        return (table[numerator].astype(float) / below.where(below > 0)).round(1)
    return ratio


INDICATORS: tuple[Indicator, ...] = (
    Indicator("zone_share", N_("Share of area in a zone"), "%", scopes=(TOWNSHIP,), popups=(TOWNSHIP,)),
    # the area of the shape drawn: a township's is a Voronoi cell's (derived, not official), a zone's
    # the illustrative zone's; the reported area is the reference table's
    Indicator("area_km2", N_("Area of the drawn shape"), N_("km²"), shading=False, measure=True),
    Indicator("area_km2_reported", N_("Area (reported)"), N_("km²"), scopes=(TOWNSHIP,), shading=False,
              measure=True, popups=(TOWNSHIP,)),
    Indicator("population", N_("Population"), N_("people"), scopes=(TOWNSHIP,), shading=False, popups=(TOWNSHIP,)),
    Indicator("villages", N_("Villages"), N_("villages"), scopes=(TOWNSHIP,), shading=False, popups=(TOWNSHIP,)),
    Indicator("industry_branches", N_("Industry party branches"), N_("branches")),
    Indicator("association_branches", N_("Association branches"), N_("branches"), scopes=(ZONE,), shading=False,
              popups=()),
    Indicator("party_groups", N_("Industry party groups"), N_("groups")),
    Indicator("party_members", N_("Party members"), N_("members"), popups=(TOWNSHIP,)),
    Indicator("bases", N_("Industry bases"), N_("bases"), shading=False, popups=(ZONE,)),
    Indicator("base_area_mu", N_("Industry base area"), N_("mu"), measure=True, popups=()),
    Indicator("cooperatives", N_("Cooperatives"), N_("cooperatives")),
    Indicator("loans", N_("Micro-loans"), N_("loans"), private_unless="loans"),
    Indicator("loan_amount_yuan", N_("Loan amount"), N_("yuan"), measure=True, popups=(), private_unless="loans"),
    Indicator("trainees", N_("Trainees"), N_("trainees"), popups=(TOWNSHIP,)),
    Indicator("households_benefiting", N_("Households benefiting"), N_("households")),
    Indicator("households_per_member", N_("Households benefiting per party member"), N_("households"),
              popups=(TOWNSHIP,), derive=_per("households_benefiting", "party_members")),
    Indicator("income_gain_yuan_per_capita", N_("Income gain per person"), N_("yuan"), scopes=(ZONE,), shading=False,
              popups=(), measure=True),
    Indicator("tourist_visits", N_("Tourist visits"), N_("visits")),
    Indicator("tourism_income_yuan", N_("Tourism income"), N_("yuan"), measure=True, popups=()),
    Indicator("labour_transfer", N_("Labour transferred"), N_("people"), popups=()),
    Indicator("farm_stays", N_("Star-rated farm stays"), N_("farm stays")),
    # counted for the zones' plans only
    Indicator("new_members", N_("New party members"), N_("members"), scopes=(), shading=False, popups=()),
)
BY_ID: dict[str, Indicator] = {i.id: i for i in INDICATORS}
SHADING: dict[str, Indicator] = {i.id: i for i in INDICATORS if i.shading}   # what the coverage map can shade
DEFAULT_SHADING = "industry_branches"
# recorded year by year (`yearly_output`): the map can shade their change since an earlier year
# (`metric=tourist_visits&compare=2014` is the column `tourist_visits_change_2014`)
YEARLY = ("households_benefiting", "tourist_visits", "tourism_income_yuan", "labour_transfer")


def in_scope(scope: str) -> list[Indicator]:
    """The indicators a township or zone table carries, in the tables' order."""
    return [i for i in INDICATORS if scope in i.scopes]


def in_popup(scope: str) -> list[Indicator]:
    return [i for i in INDICATORS if scope in i.popups]


def change_id(indicator: str, since: int) -> str:
    return f"{indicator}_change_{since}"


def change_indicator(indicator: str, since: int) -> Indicator:
    """The change of a yearly indicator since the year `since`."""
    return replace(BY_ID[indicator], id=change_id(indicator, since), since=since, derive=None)


def people_count(value, disclose: bool) -> int | None:
    """A count of people as the public may see it: None when 1–4 (and `disclose` is False)."""
    value = int(value)
    return value if disclose or value == 0 or value >= MIN_PUBLIC_COUNT else None


def hidden(row, indicator: Indicator, disclose: bool) -> bool:
    """Whether `indicator`'s value in `row` (a mapping with the deciding count) is withheld from
    this viewer: the one rule, for every scope and every door (popups, tables, exports, JSON,
    the map's shading, the report)."""
    count_of = indicator.private_unless
    if disclose or count_of is None:
        return False
    count = row.get(count_of)
    return count is not None and count == count and people_count(count, False) is None


def public_values(row: dict, disclose: bool) -> dict:
    """`row` (an indicator per key) with each value the viewer may not see set to None."""
    return {key: None if key in BY_ID and hidden(row, BY_ID[key], disclose) else value for key, value in row.items()}


def add_derived(table: pd.DataFrame, scope: str) -> pd.DataFrame:
    """`table` with every derived indicator of `scope` computed from the others."""
    for indicator in in_scope(scope):
        if indicator.derive is not None:
            table[indicator.id] = indicator.derive(table).to_numpy()
    return table
