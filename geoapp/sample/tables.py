"""The generator's tables: loans, training sessions and study tours, yearly output."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geoapp.layers import LAYERS
from geoapp.sample.names import SURNAMES, ZONE_PLANS
from geoapp.sample.shapes import split_total, target


class TableSteps:
    # tables -------------------------------------------------------------------------------
    def _zone_townships(self) -> list[tuple[str, str, float]]:
        """(zone, township, shared area in m²) for every zone–township overlap over 1 km²."""
        return [(zid, code, zshape.intersection(tshape).area)
                for zid, zshape in self.zone_shapes.items()
                for code, tshape in self.township_shapes.items()
                if zshape.intersection(tshape).area > 1e6]

    def loans(self) -> pd.DataFrame:
        rng = self.rng
        n = target("loans")
        pairs = self._zone_townships()
        picks = rng.choice(len(pairs), n, p=np.array([a for *_, a in pairs]) / sum(a for *_, a in pairs))
        amounts = split_total(rng, target("loan_amount_yuan") // 1000, np.ones(n), minimum=20) * 1000
        jobs = split_total(rng, target("jobs_created"), np.ones(n), minimum=1)
        lead = {p.id: p.lead_industry for p in ZONE_PLANS}
        recipients = [f"{SURNAMES[i % len(SURNAMES)]}某{i + 1:03d}" for i in range(target("loan_beneficiaries"))]
        return pd.DataFrame({
            "id": [f"L{i + 1:03d}" for i in range(n)],
            "recipient": recipients,
            "township": [pairs[k][1] for k in picks],
            "zone": [pairs[k][0] for k in picks],
            "industry": [lead[pairs[k][0]] for k in picks],
            "amount_yuan": amounts.astype(float),
            "jobs_created": jobs,
            "year": rng.choice([2014, 2015], n),
        })

    def training_sessions(self, bases: gpd.GeoDataFrame) -> pd.DataFrame:
        rng = self.rng
        sites = bases[bases.kind.isin(["training", "remote-education"])]
        n, tours = target("training_sessions"), 9
        at = sites.iloc[rng.integers(0, len(sites), n)]
        participants = split_total(rng, target("trainees"), np.ones(n), minimum=60)
        days = pd.Timestamp("2014-01-01") + pd.to_timedelta(rng.integers(0, 730, n + tours), unit="D")
        trainings = pd.DataFrame({
            "kind": "training", "training_base": at.id.to_numpy(), "township": at.township.to_numpy(),
            "zone": at.zone.to_numpy(), "industry": at.industry.to_numpy(),
            "date": days[:n].strftime("%Y-%m-%d"), "participants": participants,
        })
        plans = [ZONE_PLANS[i % 5] for i in range(tours)]
        study_tours = pd.DataFrame({
            "kind": "study_tour", "training_base": None,
            "township": [p.townships[0] for p in plans], "zone": [p.id for p in plans],
            "industry": [p.lead_industry for p in plans], "date": days[n:].strftime("%Y-%m-%d"),
            "participants": split_total(rng, target("study_tour_households"), np.ones(tours), minimum=20),
        })
        table = pd.concat([trainings, study_tours], ignore_index=True)
        table.insert(0, "id", [f"T{i + 1:03d}" for i in range(len(table))])
        return table

    def yearly_output(self) -> pd.DataFrame:
        rng = self.rng
        pairs = self._zone_townships()
        weights = np.array([a for *_, a in pairs])
        latest = pd.DataFrame({
            "year": 2015, "township": [t for _, t, _ in pairs], "zone": [z for z, _, _ in pairs],
            "households_benefiting": split_total(rng, target("households_benefiting"), weights, minimum=50),
            "tourist_visits": split_total(rng, target("tourist_visits"), weights, minimum=500),
            "tourism_income_yuan": split_total(rng, target("tourism_income_yuan") // 10_000, weights,
                                               minimum=10) * 10_000.0,
            "labour_transfer": split_total(rng, target("labour_transfer"), weights, minimum=5),
        })
        # Per-capita gains vary; their household-weighted mean is the article's 793 yuan.
        gain = rng.integers(600, 1000, len(latest)).astype(float)
        households = latest.households_benefiting.to_numpy()
        k = int(np.argmax(households))
        gain[k] += round((target("income_gain_yuan_per_capita") * households.sum() - gain @ households) / households[k])
        latest["income_gain_yuan_per_capita"] = gain
        earlier = latest.copy()
        earlier["year"] = 2014
        for column in ("households_benefiting", "tourist_visits", "labour_transfer"):
            earlier[column] = (latest[column] * rng.uniform(0.6, 0.9, len(latest))).round().astype(int)
        earlier["tourism_income_yuan"] = (latest.tourism_income_yuan * rng.uniform(0.6, 0.9, len(latest))).round(-4)
        earlier["income_gain_yuan_per_capita"] = (gain * rng.uniform(0.7, 0.95, len(latest))).round()
        columns = [c.name for c in LAYERS["yearly_output"].columns]
        return pd.concat([earlier, latest], ignore_index=True)[columns]

