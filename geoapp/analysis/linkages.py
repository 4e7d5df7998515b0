"""The article's working model, zone by zone: the four linkages (一是组织联动, 二是队伍联动,
三是服务联动, 四是发展联动) computed from the rows for one zone, for what lies outside every
zone, or for the whole county.

Which rows belong to a scope: points and bases by where they lie (`zone_at`, as the coverage
analysis counts them), tables by the zone they record (`zone`), a branch's activities by where
the branch lies. So the figures of the five zones plus "outside" add up to the county's.

Figures about people (the member pipeline, leader candidates, loans and their recipients) are
public only as counts of at least `MIN_PUBLIC_COUNT`; `people_count` hides smaller ones unless
the caller may see them (a logged-in office user). Nothing here returns a row about a person.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geoapp.analysis import CountyAnalysis
from geoapp.analysis.coverage import SERVED_BASE_KINDS
from geoapp.analysis.summary import county_summary, latest_output
from geoapp.crs import area_mu
from geoapp.data.load import Dataset
from geoapp.indicators import MIN_PUBLIC_COUNT, people_count
from geoapp.layers import ACTIVITY_KINDS, LAYERS, PIPELINE_STAGES

OUTSIDE = "outside"          # the scope of what lies outside every zone
OUTPUT_INDICATORS = ("households_benefiting", "tourist_visits", "tourism_income_yuan", "labour_transfer")
FORM_OF_KIND = {"general": "regional", "industry": "industry", "association": "industry", "sector": "sector"}


@dataclass(frozen=True)
class Scope:
    """One zone (`zone` its id), everything outside the zones (OUTSIDE), or the county (None)."""
    zone: str | None

    def located(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of a located layer (points, bases) that lie in the scope."""
        return self._select(frame, "zone_at")

    def recorded(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of a table whose recorded zone is the scope."""
        return self._select(frame, "zone")

    def _select(self, frame: pd.DataFrame, column: str) -> pd.DataFrame:
        if self.zone is None:
            return frame
        if self.zone == OUTSIDE:
            return frame[frame[column].isna()]
        return frame[frame[column] == self.zone]


def _int(value) -> int:
    return round(float(value)) if pd.notna(value) else 0


LOCATED_BY_BRANCH = ("branch_activities",)  # tables placed by where their branch lies
PEOPLE_FIGURES = ("leader_candidates", "new_members_since_2014", "loans", "loan_amount_yuan", "loan_beneficiaries",
                  "jobs_created")


def scoped_dataset(dataset: Dataset, scope: Scope) -> Dataset:
    """The dataset cut down to what belongs to the scope (the townships stay whole)."""
    if scope.zone is None:
        return dataset
    scoped = dataset
    branches = scope.located(dataset["party_organisations"]).id
    for layer_id in LAYERS:
        frame = dataset[layer_id]
        if layer_id == "zones":
            frame = frame[frame.id == scope.zone] if scope.zone != OUTSIDE else frame.iloc[0:0]
        elif layer_id in LOCATED_BY_BRANCH:
            frame = frame[frame.branch.isin(branches)]
        elif "zone_at" in frame.columns:
            frame = scope.located(frame)
        elif "zone" in frame.columns:
            frame = scope.recorded(frame)
        else:
            continue
        scoped = scoped.replace(layer_id, frame)
    return scoped


def zone_summaries(analysis: CountyAnalysis, disclose: bool = False) -> dict[str, dict[str, int | None]]:
    """The county figures (docs/BRIEF.md §3) for each zone and for OUTSIDE, computed the way the
    county's are; counts of people under five hidden unless `disclose`."""
    summaries = {}
    for zone in [*analysis.zones.id, OUTSIDE]:
        figures = county_summary(scoped_dataset(analysis.dataset, Scope(zone)))
        hidden = not disclose and people_count(figures["loans"], False) is None
        for key in PEOPLE_FIGURES:
            if key.startswith(("loan", "jobs")):
                figures[key] = None if hidden else figures[key]
            else:
                figures[key] = people_count(figures[key], disclose)
        summaries[zone] = figures
    return summaries


# 一是组织联动 ---------------------------------------------------------------------------------

def organisation_tree(organisations: pd.DataFrame, roots: pd.DataFrame, cooperatives: pd.DataFrame,
                      lang: str = "zh") -> list[dict]:
    """The organisations under each of `roots`, by `parent`: 联动区党总支 → 特色产业党支部 (each with
    its groups and base) and 产业协会党支部 (with the cooperative it is built in)."""
    name = "name_en" if lang == "en" else "name_zh"
    cooperative_names = dict(zip(cooperatives.id, cooperatives[name]))
    children: dict[str, list] = {}
    for row in organisations.itertuples():
        if isinstance(row.parent, str):
            children.setdefault(row.parent, []).append(row)

    def node(row, seen: frozenset) -> dict:
        under = [node(child, seen | {row.id}) for child in children.get(row.id, ()) if child.id not in seen]
        kind_order = {"industry": 0, "association": 1}
        under.sort(key=lambda n: (kind_order.get(n["kind"], 2), n["id"]))
        return {"id": row.id, "name": getattr(row, name), "kind": row.kind,
                "form": row.form if isinstance(row.form, str) else FORM_OF_KIND.get(row.kind),
                "zone": row.zone_at, "township": row.township_at, "base": row.base if isinstance(row.base, str) else None,
                "cooperative": row.cooperative if isinstance(row.cooperative, str) else None,
                "cooperative_name": cooperative_names.get(row.cooperative),
                "members": _int(row.members), "party_groups": _int(row.party_groups),
                "branches": sum(1 for n in under if n["kind"] in ("industry", "association")), "children": under}

    return [node(row, frozenset()) for row in roots.itertuples()]


def organisation_linkage(analysis: CountyAnalysis, scope: Scope, lang: str = "zh") -> dict:
    data = analysis.dataset
    organisations = data["party_organisations"]
    here = scope.located(organisations)
    kind = here.kind
    forms = here.form.where(here.form.notna(), here.kind.map(FORM_OF_KIND))
    if scope.zone is None:
        roots = organisations[organisations.kind.isin(["general", "sector"])]
    elif scope.zone == OUTSIDE:
        roots = here[here.parent.isna() | ~here.parent.isin(organisations.id)]
    else:
        zone = analysis.zones.set_index("id").loc[scope.zone]
        roots = organisations[organisations.id == zone.general_branch]
    tree = organisation_tree(organisations, roots, data["cooperatives"], lang)
    # branches that belong to the zone's general branch but lie elsewhere, and the reverse
    in_tree = {n["id"] for root in tree for n in _walk(root)}
    associations = here[kind == "association"]
    bases = scope.located(data["industry_bases"])
    served = bases[bases.kind.isin(SERVED_BASE_KINDS)]
    gaps = analysis.gaps
    result = {
        "general_branches": int((kind == "general").sum()),
        "industry_branches": int((kind == "industry").sum()),
        "association_branches": int((kind == "association").sum()),
        "sector_general_branches": int((kind == "sector").sum()),
        "party_groups": _int(here.party_groups.sum()),
        "party_members": _int(here.members.sum()),
        "forms": {form: int((forms == form).sum()) for form in ("regional", "industry", "sector")},
        "tree": tree,
        "associations": [{"id": row.id, "name": row[_name(lang)], "cooperative": row.cooperative
                          if isinstance(row.cooperative, str) else None} for _i, row in associations.iterrows()],
        "gaps": {
            "bases_without_branch": _ids(gaps.bases_without_branch[gaps.bases_without_branch.id.isin(served.id)]),
            "bases_outside_zones": _ids(gaps.bases_outside_zones[gaps.bases_outside_zones.id.isin(served.id)]),
            "townships_without_branch": _township_gaps(analysis, scope),
            "associations_without_cooperative": sorted(associations[associations.cooperative.isna()].id),
            "branches_elsewhere": sorted(in_tree - set(here.id)) if scope.zone not in (None, OUTSIDE) else [],
        },
    }
    result["gap_names"] = _gap_names(result["gaps"], data, analysis, lang)
    return result


def _gap_names(gaps: dict[str, list[str]], data, analysis: CountyAnalysis, lang: str) -> dict[str, str]:
    """The name of everything the gaps list by id or code, for people to read (the ids stay for machines)."""
    listed = {key for keys in gaps.values() for key in keys}
    names: dict[str, str] = {}
    for frame, key in ((data["industry_bases"], "id"), (data["party_organisations"], "id"), (analysis.townships, "code")):
        wanted = frame[frame[key].isin(listed)]
        names.update(zip(wanted[key], wanted[_name(lang)]))
    return names


def _walk(node: dict):
    yield node
    for child in node["children"]:
        yield from _walk(child)


def _name(lang: str) -> str:
    return "name_en" if lang == "en" else "name_zh"


def _ids(frame: pd.DataFrame) -> list[str]:
    return sorted(frame.id)


def _township_gaps(analysis: CountyAnalysis, scope: Scope) -> list[str]:
    townships = analysis.gaps.townships_without_branch
    if scope.zone is None:
        return sorted(townships.code)
    zones_of = dict(zip(analysis.townships.code, analysis.townships.zones))  # (a dict: 40,000 look-ups)
    if scope.zone == OUTSIDE:
        return sorted(c for c in townships.code if not zones_of.get(c))
    return sorted(c for c in townships.code if scope.zone in (zones_of.get(c) or "").split(", "))


# 二是队伍联动 ---------------------------------------------------------------------------------

def team_linkage(analysis: CountyAnalysis, scope: Scope, disclose: bool = False) -> dict:
    data = analysis.dataset
    pipeline = scope.recorded(data["members_pipeline"])
    years = sorted(int(y) for y in data["members_pipeline"].year.unique())
    by_stage_year = pipeline.groupby(["stage", "year"]).size()
    stages = [{"stage": stage,
               "years": {str(year): people_count(by_stage_year.get((stage, year), 0), disclose) for year in years},
               "total": people_count(int((pipeline.stage == stage).sum()), disclose)}
              for stage in PIPELINE_STAGES]
    members = pipeline[pipeline.stage == "member"]
    organisations = data["party_organisations"]
    located = scope.located(organisations)[["id"]]
    activities = data["branch_activities"].merge(located, left_on="branch", right_on="id", suffixes=("", "_branch"))
    months = pd.to_datetime(activities.date, errors="coerce")
    by_kind = activities.groupby("kind").size()
    by_month_kind = activities.assign(month=months.dt.strftime("%Y-%m")).groupby(["month", "kind"]).size()
    return {
        "leader_candidates": people_count((pipeline.stage == "leader_candidate").sum(), disclose),
        "new_members_since_2014": people_count((members.year >= 2014).sum(), disclose),
        "pipeline_years": [str(y) for y in years],
        "pipeline": stages,
        "activities": {
            "total": len(activities),
            "attendance": _int(activities.attendance.sum()),
            "branches": int(activities.branch.nunique()),
            "by_kind": {kind: int(by_kind.get(kind, 0)) for kind in ACTIVITY_KINDS},
            "months": sorted({m for m, _k in by_month_kind.index}),
            "by_month": [{"month": month, "kind": kind, "count": int(count)}
                         for (month, kind), count in by_month_kind.items()],
            "years": sorted({str(m.year) for m in months.dropna()}),
        },
    }


# 三是服务联动 ---------------------------------------------------------------------------------

def service_linkage(analysis: CountyAnalysis, scope: Scope, lang: str = "zh", disclose: bool = False) -> dict:
    data = analysis.dataset
    name = _name(lang)
    loans = scope.recorded(data["loans"])
    training = scope.recorded(data["training_sessions"])
    sessions = training[training.kind == "training"]
    tours = training[training.kind == "study_tour"]
    bases = data["industry_bases"].set_index("id")
    per_base = sessions.groupby("training_base").agg(sessions=("id", "size"), trainees=("participants", "sum"))
    cooperatives = scope.located(data["cooperatives"])
    every_cooperative = data["cooperatives"].set_index("id")
    coops = cooperatives[cooperatives.kind == "cooperative"]
    network = []
    for enterprise_id, linked in coops.groupby("enterprise"):
        network.append({"enterprise": enterprise_id,
                        "name": every_cooperative[name].get(enterprise_id, enterprise_id),
                        "model": every_cooperative.model.get(enterprise_id),
                        "cooperatives": [{"id": c.id, "name": c[name], "model": c.model}
                                         for _i, c in linked.sort_values("id").iterrows()]})
    loan_count = people_count(len(loans), disclose)
    destination = "visited_en" if lang == "en" else "visited_zh"
    return {
        "credit_scheme": {  # 农村党员信贷直通车
            "loans": loan_count,
            "amount_yuan": float(loans.amount_yuan.sum()) if loan_count is not None else None,
            "jobs_created": _int(loans.jobs_created.sum()) if loan_count is not None else None,
            "by_industry": ({k: int(v) for k, v in loans.groupby("industry").size().items()}
                            if disclose or len(loans) >= MIN_PUBLIC_COUNT else {}),
        },
        "training": {  # 阵地联基地: sessions held at the training bases
            "sessions": len(sessions),
            "trainees": _int(sessions.participants.sum()),
            "bases": [{"id": base_id, "name": bases[name].get(base_id, base_id),
                       "sessions": int(row.sessions), "trainees": _int(row.trainees)}
                      for base_id, row in per_base.sort_values("trainees", ascending=False).iterrows()],
        },
        "cooperatives": len(coops),
        "leading_enterprises": int((cooperatives.kind == "leading_enterprise").sum()),
        "models": {model: int(n) for model, n in coops.model.dropna().value_counts().items()},
        "network": network,
        "unlinked_cooperatives": sorted(coops[coops.enterprise.isna()].id),
        "study_tours": [{"id": t.id, "date": t.date, "destination": t[destination] if isinstance(t[destination], str)
                         else None, "participants": _int(t.participants)}
                        for _i, t in tours.sort_values("date").iterrows()],
        "study_tour_households": _int(tours.participants.sum()),
    }


# 四是发展联动 ---------------------------------------------------------------------------------

def plan_actuals(analysis: CountyAnalysis, scope: Scope, since: int) -> dict[str, float]:
    """Today's value of every plan indicator in the scope, computed from the rows."""
    data = analysis.dataset
    output = scope.recorded(latest_output(data))
    bases = scope.located(data["industry_bases"])
    served = bases[bases.kind.isin(SERVED_BASE_KINDS)]
    organisations = scope.located(data["party_organisations"])
    pipeline = scope.recorded(data["members_pipeline"])
    training = scope.recorded(data["training_sessions"])
    cooperatives = scope.located(data["cooperatives"])
    return {
        "base_area_mu": float(area_mu(served).sum()) if len(served) else 0.0,
        **{indicator: float(output[indicator].sum()) for indicator in OUTPUT_INDICATORS},
        "industry_branches": float((organisations.kind == "industry").sum()),
        "party_groups": float(organisations.party_groups.sum()),
        "new_members": float(((pipeline.stage == "member") & (pipeline.year >= since)).sum()),
        "cooperatives": float((cooperatives.kind == "cooperative").sum()),
        "trainees": float(training[training.kind == "training"].participants.sum()),
    }


PEOPLE_INDICATORS = ("new_members",)


def plan_progress(analysis: CountyAnalysis, scope: Scope, disclose: bool = False) -> list[dict]:
    """Each target of the scope's plans, beside what the data holds today: progress is the
    share of the way from the baseline to the target (over 100 % when the target is passed)."""
    plans = scope.recorded(analysis.dataset["zone_plans"])
    if plans.empty:
        return []
    actuals = plan_actuals(analysis, scope, int(plans.period_start.min()))
    if scope.zone is None or scope.zone == OUTSIDE:  # the county's plan is the sum of the zones'
        plans = plans.groupby(["kind", "indicator"], as_index=False).agg(
            period_start=("period_start", "min"), period_end=("period_end", "max"),
            baseline=("baseline", "sum"), target=("target", "sum"))
        if scope.zone is None:
            actuals = {k: sum(plan_actuals(analysis, Scope(z), int(plans.period_start.min()))[k]
                              for z in analysis.zones.id) for k in actuals}
    rows = []
    for plan in plans.itertuples():
        actual = actuals.get(plan.indicator)
        hidden = plan.indicator in PEOPLE_INDICATORS and people_count(actual or 0, disclose) is None
        span = plan.target - plan.baseline
        progress = None if actual is None or hidden or span == 0 else round(100 * (actual - plan.baseline) / span)
        rows.append({"kind": plan.kind, "indicator": plan.indicator, "period": f"{plan.period_start}–{plan.period_end}",
                     "baseline": float(plan.baseline), "target": float(plan.target),
                     "actual": None if hidden else actual, "progress": progress})
    return rows


def yearly_change(analysis: CountyAnalysis, scope: Scope) -> dict:
    """The output indicators in every year the data holds, with the change from the first."""
    output = scope.recorded(analysis.dataset["yearly_output"])
    by_year = output.groupby("year")[list(OUTPUT_INDICATORS)].sum().sort_index()
    years = [int(y) for y in by_year.index]
    change = {}
    for indicator in OUTPUT_INDICATORS:
        values = [float(v) for v in by_year[indicator]]
        first, last = (values[0], values[-1]) if values else (0.0, 0.0)
        change[indicator] = {"values": values, "change": last - first,
                             "percent": round(100 * (last - first) / first, 1) if first else None}
    return {"years": years, "indicators": change}


def development_linkage(analysis: CountyAnalysis, scope: Scope, lang: str = "zh", disclose: bool = False) -> dict:
    data = analysis.dataset
    name = _name(lang)
    output = scope.recorded(latest_output(data))
    festivals = scope.located(data["festivals"])
    stays = scope.located(data["farm_stays"])
    bases = scope.located(data["industry_bases"])
    return {
        "plans": plan_progress(analysis, scope, disclose),
        "festivals": [{"id": f.id, "name": f[name], "start_md": f.start_md, "end_md": f.end_md,
                       "partners": _int(f.partners) if pd.notna(f.partners) else None,
                       "visits": _int(f.visits) if pd.notna(f.visits) else None,
                       "income_yuan": float(f.income_yuan) if pd.notna(f.income_yuan) else None}
                      for _i, f in festivals.iterrows()],
        "farm_stays": len(stays),
        "farm_stays_by_stars": {str(k): int(v) for k, v in stays.stars.value_counts().sort_index().items()},
        "bases": len(bases),
        "base_area_mu": round(float(area_mu(bases).sum()), 1) if len(bases) else 0.0,
        "year": int(output.year.max()) if len(output) else None,
        **{indicator: _int(output[indicator].sum()) for indicator in OUTPUT_INDICATORS},
        "change": yearly_change(analysis, scope),
    }


def zone_linkages(analysis: CountyAnalysis, zone: str | None, lang: str = "zh", disclose: bool = False) -> dict:
    """The four linkages of one zone (its id), of OUTSIDE, or of the county (None)."""
    scope = Scope(zone)
    return {
        "organisation": organisation_linkage(analysis, scope, lang),
        "team": team_linkage(analysis, scope, disclose),
        "service": service_linkage(analysis, scope, lang, disclose),
        "development": development_linkage(analysis, scope, lang, disclose),
    }


def zone_geometries(analysis: CountyAnalysis, zone: str) -> dict[str, gpd.GeoDataFrame]:
    """What a zone's map shows: the zone, the townships it shares, its bases and organisations."""
    data = analysis.dataset
    scope = Scope(zone)
    townships = analysis.townships[analysis.townships.zones.str.split(", ").apply(lambda z: zone in z)]
    return {"zone": analysis.zones[analysis.zones.id == zone], "townships": townships,
            "bases": scope.located(data["industry_bases"]), "organisations": scope.located(data["party_organisations"]),
            "cooperatives": scope.located(data["cooperatives"]), "farm_stays": scope.located(data["farm_stays"])}
