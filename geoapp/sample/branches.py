"""The generator's branch as the unit of work (issue 20): the county and township committees above
the zones, who is responsible for each organisation (anonymised secretaries, office phones that
cannot be dialled), the administrative villages and the branch that serves each, a year of the
five days month by month, the dated steps of the member pipeline, the member structure, the loans'
terms, the value chain — and the fixes of errors found in the earlier data.

Every step draws from a random stream of its own, after the earlier steps have drawn theirs, so
the rows made before are unchanged but for the fixes (each says what it fixes).
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from geoapp.crs import METRIC_CRS
from geoapp.layers import ACTIVITY_KINDS, PIPELINE_STEPS, STRUCTURE_VALUES
from geoapp.sample.names import SURNAMES, VILLAGE_NAMES, ZONE_PLANS
from geoapp.sample.places import ILLUSTRATIVE, SEED
from geoapp.sample.shapes import random_point_in

# The data period's months: the article reports 2015.
PERIOD = pd.period_range("2015-01", "2015-12", freq="M")
# What a county's villages are when the reference table gives no count for a township.
VILLAGES_WHEN_UNKNOWN = 5
ESTIMATED_VILLAGES = "; the township's number of villages is not in the reference table: 5 assumed"
SERVES_WITHIN_M = 6_000      # a village is served by the nearest branch of its zone this close
TOPICS = {  # kind -> (Chinese, English) topics a branch's day may have
    "petition_day": (("接待群众来访", "hearing villagers' requests"),
                     ("调解果园用地纠纷", "settling a dispute over orchard land"),
                     ("收集种植户诉求", "collecting growers' requests")),
    "deliberation_day": (("产业发展议事", "deliberating the industry's plans"),
                         ("讨论合作社分红方案", "discussing the cooperative's dividend"),
                         ("议定基地灌溉工程", "deciding the base's irrigation works")),
    "open_day": (("党建开放日", "party-building open day"), ("党员承诺践诺公开", "members' pledges made public"),
                 ("支部账目公开", "the branch's accounts made public")),
    "e_learning_day": (("远程教育播放", "remote-education screening"),
                       ("果树修剪技术视频学习", "video on pruning fruit trees"),
                       ("病虫害防治远程课", "remote class on pests and diseases")),
    "culture_sports_day": (("文体活动", "culture and sports"), ("农民篮球赛", "farmers' basketball match"),
                           ("坝坝舞展演", "square-dance show")),
}
# How the branches stand in the last three months of the period (the office's traffic lights):
# most keep all five days, some miss one or two, a few miss three or more or fall silent.
STANDING = (("green", 0.55), ("amber", 0.28), ("missed_three", 0.07), ("missed_many", 0.06), ("silent", 0.04))
AGE_SHARES = (0.22, 0.26, 0.27, 0.12, 0.13)
EDUCATION_SHARES = (0.48, 0.37, 0.15)
WOMEN_SHARE = 0.27


def office_phone(rng: np.random.Generator) -> str:
    """An office number that cannot be dialled: Ya'an's area code and seven digits starting with
    0, which no local number does. The pages say the numbers are illustrative."""
    return f"0835-0{rng.integers(0, 1_000_000):06d}"


def anonymised(rng: np.random.Generator) -> str:
    """A secretary's name as public documents anonymise one: the surname and 某某."""
    return f"{SURNAMES[rng.integers(len(SURNAMES))]}某某"


class BranchSteps:
    def branches(self, layers: dict) -> None:
        """The steps of issue 20, in order, each on its own stream."""
        self._fix_earlier_errors(layers, np.random.default_rng(SEED + 20))
        layers["committees"] = self._committees(np.random.default_rng(SEED + 21))
        self._responsible(layers, np.random.default_rng(SEED + 22))
        layers["villages"] = self._villages(layers, np.random.default_rng(SEED + 23))
        layers["branch_activities"] = self._five_days(layers["party_organisations"], np.random.default_rng(SEED + 24))
        self._pipeline_steps(layers["members_pipeline"], np.random.default_rng(SEED + 25))
        layers["member_structure"] = self._structure(layers["party_organisations"], np.random.default_rng(SEED + 26))
        self._loan_terms(layers["loans"], np.random.default_rng(SEED + 27))
        self._value_chain(layers)

    # fixes ---------------------------------------------------------------------------------------
    def _fix_earlier_errors(self, layers: dict, rng: np.random.Generator) -> None:
        """Errors found in the data of the earlier releases (issue 20):
        - the peach fair (蟠桃会) lay in the Qingxi pepper zone, while the Shuangxi peach zone's page
          said "no festival": a festival of a zone's lead industry is held in that zone;
        - one industry branch had 48 party groups and 9 members (the remainder of splitting the
          county's groups): a group has at least three members, so groups are at most members ÷ 3,
          the rest given to branches with room, the county's total unchanged;
        - two association branches had the same name: the second of a name is the 第二 branch."""
        festivals = layers["festivals"]
        lead_zone = {plan.lead_industry: plan.id for plan in ZONE_PLANS}
        for i, festival in festivals.iterrows():
            zone = lead_zone.get(festival.industry)
            if zone is None or festival.zone == zone:
                continue
            area = self.seats[festival.township].buffer(3_000).intersection(self.zone_shapes[zone]).intersection(
                self.township_shapes[festival.township])
            if area.is_empty:
                area = self.zone_shapes[zone]
            point = random_point_in(rng, area)
            festivals.loc[i, ["geometry", "township", "zone"]] = [point, self._township_of(point), zone]
        orgs = layers["party_organisations"]
        industry = orgs.kind == "industry"
        room = (orgs.members // 3).clip(lower=1).where(industry, 0)
        groups = orgs.party_groups.copy()
        for zone in orgs.zone[industry].unique():  # the excess stays in its zone (the zone plans count it)
            here = orgs.index[industry & (orgs.zone == zone)]
            excess = int((groups[here] - room[here]).clip(lower=0).sum())
            groups[here] = np.minimum(groups[here], room[here])
            for i in here:  # in id order, while there is room
                give = int(min(excess, room[i] - groups[i]))
                groups[i] += give
                excess -= give
            if excess:
                raise ValueError(f"zone {zone}: no room for {excess} party groups")
        orgs["party_groups"] = groups.astype(int)
        seen: dict[str, int] = {}
        for i, org in orgs[orgs.kind == "association"].iterrows():
            seen[org.name_zh] = seen.get(org.name_zh, 0) + 1
            if seen[org.name_zh] > 1:
                orgs.loc[i, "name_zh"] = org.name_zh.replace("党支部", "第二党支部")
                orgs.loc[i, "name_en"] = org.name_en.replace("association branch", "association second branch")

    # committees and who is responsible -------------------------------------------------------------
    def _committees(self, rng: np.random.Generator) -> gpd.GeoDataFrame:
        """The county committee at the county seat and a committee for each township at its seat."""
        rows = [{"id": "PC-county", "name_zh": "中共汉源县委员会", "name_en": "CPC Hanyuan County Committee",
                 "kind": "county", "parent": None, "township": "fulin", "secretary": anonymised(rng),
                 "phone": office_phone(rng), "source": ILLUSTRATIVE, "geometry": self.seats["fulin"]}]
        for code, seat in self.seats.items():
            name_zh, name_en = self.township_zh[code], self.township_en[code]
            kind_en = "Town" if name_zh.endswith("镇") else "Township"
            rows.append({"id": f"PC-{code}", "name_zh": f"中共汉源县{name_zh}委员会",
                         "name_en": f"CPC {name_en} {kind_en} Committee", "kind": "township",
                         "parent": "PC-county", "township": code, "secretary": anonymised(rng),
                         "phone": office_phone(rng), "source": ILLUSTRATIVE,
                         "geometry": Point(seat.x + rng.uniform(-150, 150), seat.y + rng.uniform(-150, 150))})
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)

    def _responsible(self, layers: dict, rng: np.random.Generator) -> None:
        """Each organisation's secretary (a zone general branch's is the zone's) and office phone;
        the committee over the organisations without a parent branch: a zone's general branch
        works with the committee of the township it sits in, a bureau's with the county's."""
        orgs = layers["party_organisations"]
        zone_secretary = dict(zip(layers["zones"].general_branch, layers["zones"].secretary))
        orgs["secretary"] = [zone_secretary.get(i) or anonymised(rng) for i in orgs.id]
        orgs["phone"] = [office_phone(rng) for _ in orgs.id]
        orgs["committee"] = [f"PC-{t}" if k == "general" else "PC-county" if k == "sector" else None
                             for k, t in zip(orgs.kind, orgs.township)]

    # villages ---------------------------------------------------------------------------------------
    def _villages(self, layers: dict, rng: np.random.Generator) -> gpd.GeoDataFrame:
        """Each township's administrative villages (as many as the reference table says) as points
        spread over it, each served by the nearest industry or association branch of its zone
        within SERVES_WITHIN_M; villages outside the zones, and those too far from any branch,
        have none: the coverage check lists them."""
        townships = layers["townships"]
        orgs = layers["party_organisations"]
        serving = orgs[orgs.kind.isin(["industry", "association", "general"])]
        rows = []
        for township in townships.itertuples():
            known = pd.notna(township.villages)
            count = int(township.villages) if known else VILLAGES_WHEN_UNKNOWN
            names = rng.permutation(len(VILLAGE_NAMES))[:count]
            placed: list[Point] = []
            for n, k in enumerate(names, start=1):
                inner = township.geometry.buffer(-300)
                for _ in range(50):  # spread out: not closer than 600 m to another
                    point = random_point_in(rng, township.geometry if inner.is_empty else inner)
                    if all(point.distance(p) > 600 for p in placed):
                        break
                placed.append(point)
                zone = self._zone_of(point)
                near = serving[serving.zone == zone] if zone else serving.iloc[0:0]
                branch = None
                if len(near):
                    distances = near.geometry.distance(point)
                    if distances.min() <= SERVES_WITHIN_M:
                        branch = near.id.iloc[int(np.argmin(distances.to_numpy()))]
                name_zh, name_en = VILLAGE_NAMES[k]
                rows.append({"id": f"V-{township.code}-{n:02d}", "name_zh": f"{name_zh}村",
                             "name_en": f"{name_en} Village", "township": township.code, "zone": zone,
                             "branch": branch, "source": ILLUSTRATIVE + ("" if known else ESTIMATED_VILLAGES),
                             "geometry": point})
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)

    # the five days ----------------------------------------------------------------------------------
    def _five_days(self, orgs: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
        """A year of the five days, month by month: each branch holds each of the five in most
        months (how often is the branch's own habit); in the last three months the branches stand
        as STANDING says, so the office's list of late branches has something to show. At least
        one branch has missed exactly three (one report short of amber)."""
        rows = []
        standings = [s for s, _ in STANDING]
        weights = np.array([w for _, w in STANDING])
        picks = rng.choice(len(standings), len(orgs), p=weights / weights.sum())
        picks[np.flatnonzero(orgs.kind.to_numpy() == "industry")[0]] = standings.index("missed_three")
        last = [str(p) for p in PERIOD[-3:]]
        slots = [(month, kind) for month in last for kind in ACTIVITY_KINDS]
        for org, pick in zip(orgs.itertuples(), picks):
            habit = rng.uniform(0.8, 1.0)
            standing = standings[pick]
            missed = {"green": 0, "amber": int(rng.integers(1, 3)), "missed_three": 3,
                      "missed_many": int(rng.integers(4, 9)), "silent": 0}[standing]
            missing = {slots[i] for i in rng.choice(len(slots), missed, replace=False)} if missed else set()
            if standing == "silent":
                missing = {(m, k) for m, k in slots if m != last[0]}
            for month in PERIOD:
                for kind in ACTIVITY_KINDS:
                    if str(month) in last:
                        if (str(month), kind) in missing:
                            continue
                    elif rng.random() > habit:
                        continue
                    day = month.start_time + pd.Timedelta(days=int(rng.integers(0, month.days_in_month)))
                    topic_zh, topic_en = TOPICS[kind][int(rng.integers(len(TOPICS[kind])))]
                    members = max(int(org.members), 1)
                    rows.append({"branch": org.id, "date": day.strftime("%Y-%m-%d"), "kind": kind,
                                 "topic_zh": topic_zh, "topic_en": topic_en,
                                 "attendance": max(1, int(np.rint(members * rng.uniform(0.55, 1.0))))})
        table = pd.DataFrame(rows).sort_values(["date", "branch", "kind"], kind="stable", ignore_index=True)
        table.insert(0, "id", [f"A{i + 1:05d}" for i in range(len(table))])
        return table

    # the member pipeline's steps and the member structure --------------------------------------------
    def _pipeline_steps(self, pipeline: pd.DataFrame, rng: np.random.Generator) -> None:
        """The day each person reached each step up to their stage: the stage's day in the year
        recorded, each earlier step 60–400 days before the next. Leader candidates are chosen,
        not cultivated: no steps."""
        dates: dict[str, list] = {step: [] for step in PIPELINE_STEPS}
        for row in pipeline.itertuples():
            reached = PIPELINE_STEPS.index(row.stage) if row.stage in PIPELINE_STEPS else -1
            day = pd.Timestamp(f"{row.year}-01-01") + pd.Timedelta(days=int(rng.integers(0, 365)))
            days: dict[str, str] = {}
            for step in reversed(PIPELINE_STEPS[:reached + 1]):
                days[step] = day.strftime("%Y-%m-%d")
                day -= pd.Timedelta(days=int(rng.integers(60, 400)))
            for step in PIPELINE_STEPS:
                dates[step].append(days.get(step))
        for step in PIPELINE_STEPS:
            pipeline[f"{step}_date"] = dates[step]

    def _structure(self, orgs: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
        """Each organisation's members by age band, education and sex (counts that add up to its
        members in each dimension)."""
        shares = {"age": AGE_SHARES, "education": EDUCATION_SHARES, "sex": (1 - WOMEN_SHARE, WOMEN_SHARE)}
        rows = []
        for org in orgs.itertuples():
            for dimension, values in STRUCTURE_VALUES.items():
                counts = rng.multinomial(int(org.members), shares[dimension])
                rows += [{"branch": org.id, "dimension": dimension, "value": v, "count": int(c)}
                         for v, c in zip(values, counts)]
        return pd.DataFrame(rows)

    # loans and the value chain ---------------------------------------------------------------------
    def _loan_terms(self, loans: pd.DataFrame, rng: np.random.Generator) -> None:
        """A term of one to three years; repaid when the term ended by the end of 2015, a few
        overdue among the rest."""
        terms = rng.choice([12, 24, 36], len(loans), p=[0.4, 0.4, 0.2])
        ended = loans.year.to_numpy() + terms // 12 <= 2015
        overdue = rng.random(len(loans)) < 0.06
        loans["term_months"] = terms
        loans["repayment"] = np.where(ended, "repaid", np.where(overdue, "overdue", "repaying"))

    def _value_chain(self, layers: dict) -> None:
        """Bases produce, except those within 2 km of a festival venue, which show visitors round
        (观光); the enterprises process or sell (the supermarket); cooperatives produce. A
        training base stands on the nearest production base of its industry (阵地联基地)."""
        bases = layers["industry_bases"]
        venues = shapely.union_all(list(layers["festivals"].geometry.buffer(2_000)))
        near_venue = bases.geometry.intersects(venues) & (bases.kind == "production")
        bases["chain_stage"] = np.where(near_venue, "sightseeing", "production")
        production = bases[bases.kind == "production"]
        stands_on = []
        for base in bases.itertuples():
            if base.kind != "training":
                stands_on.append(None)
                continue
            same = production[production.industry == base.industry]
            pool = same if len(same) else production
            stands_on.append(pool.id.iloc[int(np.argmin(pool.geometry.distance(base.geometry).to_numpy()))])
        bases["stands_on"] = stands_on
        coops = layers["cooperatives"]
        coops["chain_stage"] = np.where(coops.kind == "cooperative", "production",
                                        np.where(coops.name_zh.str.contains("超市"), "distribution", "processing"))
