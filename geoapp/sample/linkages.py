"""The generator's four linkages: organisation forms, the member pipeline, the zones' plans,
festival figures and study-tour destinations (the five days: `geoapp.sample.branches`)."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geoapp.crs import METRIC_CRS, area_mu
from geoapp.sample.names import ZONE_PLANS
from geoapp.sample.places import SEED
from geoapp.sample.shapes import target


class LinkageSteps:
    # the four linkages (issue 12), from a random stream of their own -----------------------
    def linkages(self, layers: dict) -> None:
        """The article's working model behind the totals: each organisation's form and an
        association branch's cooperative; the member pipeline
        (no names) that makes the 20-odd new members since 2014 and the 5 leader candidates; each
        zone's industry and party-building plans; festival partners and figures; where the study
        tours went. Drawn from their own random stream, so adding them changed no earlier row."""
        rng = np.random.default_rng(SEED + 12)
        orgs = layers["party_organisations"]
        forms = {"general": "regional", "industry": "industry", "association": "industry", "sector": "sector"}
        orgs["form"] = orgs.kind.map(forms)
        coops = layers["cooperatives"]
        cooperative = []
        for org in orgs.itertuples():
            if org.kind != "association":
                cooperative.append(None)
                continue
            candidates = coops[(coops.kind == "cooperative") & (coops.zone == org.zone) &
                               (coops.industry == org.industry) & ~coops.id.isin(cooperative)]
            cooperative.append(candidates.iloc[0].id if len(candidates) else None)
        orgs["cooperative"] = cooperative
        # the new members since 2014, spread over the industry branches (split_total gave them
        # all to one branch, which left four zones with none)
        industry = np.flatnonzero(orgs.kind.to_numpy() == "industry")
        newcomers = np.zeros(len(orgs), dtype=np.int64)
        picks = rng.choice(industry, size=int(orgs.new_members_since_2014.sum()))
        np.add.at(newcomers, picks, 1)
        orgs["new_members_since_2014"] = newcomers
        layers["members_pipeline"] = self._pipeline(rng, orgs)
        layers["zone_plans"] = self._plans(rng, layers)
        festivals = layers["festivals"]
        visits = {"pear-blossom-month": 0.36, "pepper-festival": 0.14, "peach-fair": 0.09}
        festivals["visits"] = [int(round(target("tourist_visits") * visits[f], -2)) for f in festivals.id]
        festivals["income_yuan"] = [float(round(v * rng.integers(280, 420), -4)) for v in festivals.visits]
        festivals["partners"] = [int(rng.integers(18, 60)) for _ in festivals.id]
        training = layers["training_sessions"]
        places = (("陕西眉县猕猴桃基地", "Meixian kiwi bases, Shaanxi"), ("山东烟台苹果产业园", "Yantai apple park, Shandong"),
                  ("重庆江津花椒基地", "Jiangjin pepper bases, Chongqing"), ("四川蒲江果业合作社", "Pujiang fruit co-ops, Sichuan"),
                  ("云南元谋蔬菜基地", "Yuanmou vegetable bases, Yunnan"))
        tours = training.kind == "study_tour"
        picks = rng.integers(0, len(places), int(tours.sum()))
        training["visited_zh"] = None
        training["visited_en"] = None
        training.loc[tours, "visited_zh"] = [places[k][0] for k in picks]
        training.loc[tours, "visited_en"] = [places[k][1] for k in picks]

    def _pipeline(self, rng, orgs: pd.DataFrame) -> pd.DataFrame:
        """One row per person at their current stage (no names): the new members since 2014 as
        each industry branch records them, each zone's leader candidate, and people earlier in
        the pipeline (好青年 pool, selected by the village, trained by the township, put forward
        to the county) in numbers that narrow stage by stage."""
        rows = []
        for org in orgs.itertuples():
            for _ in range(int(org.new_members_since_2014)):
                rows.append(("member", int(rng.choice([2014, 2015])), org.id, org.zone))
            for _ in range(int(org.leader_candidates)):
                rows.append(("leader_candidate", 2015, org.id, org.zone))
        industry = orgs[orgs.kind == "industry"]
        for stage, count in (("county_development", 12), ("township_training", 24), ("village_selection", 40),
                             ("talent_pool", 90)):
            for k in rng.integers(0, len(industry), count):
                branch = industry.iloc[int(k)]
                rows.append((stage, int(rng.choice([2014, 2015])), branch.id, branch.zone))
        table = pd.DataFrame(rows, columns=["stage", "year", "branch", "zone"])
        table.insert(0, "id", [f"M{i + 1:04d}" for i in range(len(table))])
        return table

    def _plans(self, rng, layers: dict) -> pd.DataFrame:
        """Each zone's two plans (2014-2016): industry targets (base area, households, visits,
        labour transfer) and party-building targets (branches, groups, new members), with the
        zone's 2014 position as the baseline, as the article's zones drew them up."""
        bases = layers["industry_bases"]
        orgs = layers["party_organisations"]
        output = layers["yearly_output"]
        earlier = output[output.year == output.year.min()].groupby("zone").sum(numeric_only=True)
        rows = []
        for plan in ZONE_PLANS:
            zone_bases = bases[(bases.zone == plan.id) & bases.kind.isin(["production", "cooperative"])]
            area = float(area_mu(gpd.GeoSeries(zone_bases.geometry, crs=METRIC_CRS)).sum())
            branches = int(((orgs.zone == plan.id) & (orgs.kind == "industry")).sum())
            groups = int(orgs[(orgs.zone == plan.id) & (orgs.kind == "industry")].party_groups.sum())
            figures = [("industry", "base_area_mu", round(area * rng.uniform(0.75, 0.9), -1), round(area * rng.uniform(1.1, 1.3), -1)),
                       ("industry", "households_benefiting", float(earlier.households_benefiting[plan.id]),
                        round(float(earlier.households_benefiting[plan.id]) * rng.uniform(1.4, 1.7), -1)),
                       ("industry", "tourist_visits", float(earlier.tourist_visits[plan.id]),
                        round(float(earlier.tourist_visits[plan.id]) * rng.uniform(1.3, 1.6), -2)),
                       ("industry", "labour_transfer", float(earlier.labour_transfer[plan.id]),
                        round(float(earlier.labour_transfer[plan.id]) * rng.uniform(1.3, 1.6))),
                       ("party_building", "industry_branches", float(branches - int(rng.integers(3, 7))),
                        float(branches + int(rng.integers(0, 3)))),
                       ("party_building", "party_groups", float(groups - int(rng.integers(8, 15))),
                        float(groups + int(rng.integers(0, 6)))),
                       ("party_building", "new_members", 0.0, float(int(rng.integers(4, 7))))]
            for kind, indicator, baseline, goal in figures:
                rows.append({"zone": plan.id, "kind": kind, "period_start": 2014, "period_end": 2016,
                             "indicator": indicator, "baseline": float(baseline), "target": float(goal)})
        table = pd.DataFrame(rows)
        table.insert(0, "id", [f"ZP{i + 1:03d}" for i in range(len(table))])
        return table

