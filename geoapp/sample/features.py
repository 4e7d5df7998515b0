"""The generator's features: industry bases, party organisations, cooperatives and leading
enterprises, farm stays and festivals."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
from shapely.geometry import Point, Polygon

from geoapp.crs import METRIC_CRS, SQUARE_METRES_PER_MU
from geoapp.layers import INDUSTRIES
from geoapp.sample.names import (
    COOPERATIVE_PREFIXES,
    DISHES,
    DISHES_EN,
    ENTERPRISES,
    FARM_STAY_NAMES,
    FESTIVALS,
    OUTSIDE_ZONE_BASES,
    ROADS,
    SEASONS,
    UNSERVED_BASES_PER_ZONE,
    VILLAGES,
    ZONE_PLANS,
)
from geoapp.sample.places import ILLUSTRATIVE, SEED
from geoapp.sample.shapes import blob, random_point_in, split_total, target


class FeatureSteps:
    # industry bases ---------------------------------------------------------------------
    def industry_bases(self) -> gpd.GeoDataFrame:
        rng = self.rng
        placed: list[Polygon] = []
        rows: list[dict] = []

        def place(kind, industry, area_mu, area):
            for _ in range(200):
                radius = np.sqrt(area_mu * SQUARE_METRES_PER_MU / np.pi)
                room = area.buffer(-1.3 * radius)
                if room.is_empty:
                    area_mu *= 0.7
                    continue
                shape = blob(rng, random_point_in(rng, room), area_mu * SQUARE_METRES_PER_MU)
                if any(shape.intersects(other.buffer(150)) for other in placed):
                    continue
                if not any(t.contains(shape) for t in self.township_shapes.values()):
                    continue  # a base lies in one township, so its claim is never ambiguous
                placed.append(shape)
                where = self._township_of(shape.representative_point())
                number = len(rows) + 1
                ind_zh, ind_en = INDUSTRIES[industry]
                kind_zh = {"production": "产业基地", "training": "产业培训基地",
                           "remote-education": "远程教育学用示范基地", "cooperative": "合作社产业基地"}[kind]
                kind_en = {"production": "base", "training": "training base",
                           "remote-education": "remote-education base", "cooperative": "cooperative base"}[kind]
                rows.append({
                    "id": f"B{number:03d}", "geometry": shape,
                    "name_zh": f"{self.township_zh[where]}{ind_zh}{kind_zh}{number}号",
                    "name_en": f"{self.township_en[where]} {ind_en} {kind_en} no. {number}",
                    "industry": industry, "kind": kind,
                    "area_mu": round(shape.area / SQUARE_METRES_PER_MU, 1),
                    "township": where, "zone": self._zone_of(shape.representative_point()),
                    "established": int(rng.integers(2008, 2016)), "source": ILLUSTRATIVE,
                })
                return rows[-1]
            raise RuntimeError(f"could not place a {kind} base of {industry}")

        def zone_industry(plan):
            if rng.random() < 0.75:
                return plan.lead_industry
            return str(rng.choice([i for i in INDUSTRIES if i != plan.lead_industry]))

        for plan in ZONE_PLANS:
            for _ in range(8):
                place("production", zone_industry(plan), rng.uniform(300, 2500), self._area(plan.id))
        for township, industry in OUTSIDE_ZONE_BASES:
            place("production", industry, rng.uniform(300, 1500), self._area(None, township))
        plans = [ZONE_PLANS[i % 5] for i in range(max(target("cooperative_bases"), target("training_bases")))]
        for plan in plans[:target("cooperative_bases")]:
            place("cooperative", zone_industry(plan), rng.uniform(150, 800), self._area(plan.id))
        for plan in plans[:target("training_bases")]:
            place("training", zone_industry(plan), rng.uniform(20, 120), self._area(plan.id))
        # Remote-education sites sit in villages all over the county, inside zones or not.
        townships = list(self.township_shapes.values())
        for i in range(target("remote_education_bases")):
            place("remote-education", str(rng.choice(list(INDUSTRIES))), rng.uniform(8, 40),
                  townships[i % len(townships)])
        frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)
        self.bases = frame
        return frame

    # party organisations ----------------------------------------------------------------
    def party_organisations(self) -> gpd.GeoDataFrame:
        rng = self.rng
        rows: list[dict] = []

        def near(point: Point, zone: str | None, metres: float) -> Point:
            area = point.buffer(metres).intersection(self._area(zone) if zone else self.county_shape)
            return random_point_in(rng, area if not area.is_empty else point.buffer(metres))

        def add(id_, kind, point, name_zh, name_en, **extra):
            rows.append({"id": id_, "name_zh": name_zh, "name_en": name_en, "kind": kind,
                         "parent": None, "zone": None, "base": None, "industry": None,
                         "members": 0, "party_groups": 0, "new_members_since_2014": 0,
                         "leader_candidates": 0, "source": ILLUSTRATIVE, "geometry": point,
                         "township": self._township_of(point), **extra})

        for number, plan in enumerate(ZONE_PLANS, start=1):
            seat = self.seats[plan.townships[0]]
            point = near(seat, plan.id, 600) if self.zone_shapes[plan.id].contains(seat) else \
                random_point_in(rng, self.zone_shapes[plan.id])
            add(f"PO-G{number}", "general", point, plan.name_zh.replace("联动区", "联动区党总支"),
                plan.name_en.replace("Linkage Zone", "Linkage Zone General Branch"),
                zone=plan.id, industry=plan.lead_industry, members=int(rng.integers(9, 16)),
                leader_candidates=1)
        fulin = self.seats["fulin"]
        add("PO-S1", "sector", near(fulin, None, 400), "县农业局产业党总支",
            "County Agriculture Bureau Industry General Branch", members=int(rng.integers(30, 60)))
        add("PO-S2", "sector", near(fulin, None, 400), "县林业局产业党总支",
            "County Forestry Bureau Industry General Branch", members=int(rng.integers(20, 45)))

        # Industry branches are built on bases; a few in-zone bases are left unserved on purpose.
        number = 0
        served_kinds = self.bases.kind.isin(["production", "cooperative"])
        for zone_number, plan in enumerate(ZONE_PLANS, start=1):
            bases = self.bases[served_kinds & (self.bases.zone == plan.id)]
            unserved = UNSERVED_BASES_PER_ZONE.get(plan.id, 0)
            served = bases.iloc[unserved:]
            picks = [served.iloc[i % len(served)] for i in range(plan.industry_branches)]
            for base in picks:
                number += 1
                ind_zh, ind_en = INDUSTRIES[base.industry]
                point = near(base.geometry.representative_point(), plan.id, 800)
                add(f"PO-I{number:03d}", "industry", point,
                    f"{self.township_zh[self._township_of(point)]}{ind_zh}产业党支部（{number}）",
                    f"{self.township_en[self._township_of(point)]} {ind_en} industry branch ({number})",
                    parent=f"PO-G{zone_number}", zone=plan.id, base=base.id, industry=base.industry,
                    members=int(rng.integers(6, 35)))
        branches = [r for r in rows if r["kind"] == "industry"]
        groups = split_total(rng, target("party_groups"), np.ones(len(branches)), minimum=1)
        newcomers = split_total(rng, target("new_members_since_2014"), np.ones(len(branches)))
        for row, g, n in zip(branches, groups, newcomers):
            row["party_groups"], row["new_members_since_2014"] = int(g), int(n)

        for i in range(target("association_branches")):
            plan = ZONE_PLANS[i % 5]
            ind_zh, ind_en = INDUSTRIES[plan.lead_industry]
            point = random_point_in(rng, self.zone_shapes[plan.id])
            add(f"PO-A{i + 1}", "association", point, f"{plan.name_zh[:2]}{ind_zh}产业协会党支部",
                f"{plan.name_en.split()[0]} {ind_en} association branch", parent=f"PO-G{i % 5 + 1}",
                zone=plan.id, industry=plan.lead_industry, members=int(rng.integers(5, 20)))
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)

    # cooperatives and enterprises ---------------------------------------------------------
    def cooperatives(self) -> gpd.GeoDataFrame:
        rng = self.rng
        rows: list[dict] = []
        for i, (name_zh, name_en, industry, township) in enumerate(ENTERPRISES, start=1):
            point = random_point_in(rng, self.seats[township].buffer(1_200).intersection(
                self.township_shapes[township]))
            rows.append({"id": f"E{i}", "name_zh": name_zh, "name_en": name_en, "kind": "leading_enterprise",
                         "industry": industry, "township": township, "zone": self._zone_of(point),
                         "enterprise": None, "base": None, "members": None,
                         "model": "企业+专合组织+基地+农户" if industry != "vegetables" else "超市+协会+农户",
                         "source": ILLUSTRATIVE, "geometry": point})
        enterprises = list(rows)
        coop_bases = self.bases[self.bases.kind == "cooperative"]
        used_names: set[str] = set()
        for i in range(target("cooperatives")):
            in_zone = i < 120
            plan = ZONE_PLANS[i % 5]
            area = self.zone_shapes[plan.id] if in_zone else self._area(None)
            point = random_point_in(rng, area)
            township = self._township_of(point)
            industry = plan.lead_industry if in_zone and rng.random() < 0.7 else str(rng.choice(list(INDUSTRIES)))
            same = [e for e in enterprises if e["industry"] == industry] or enterprises
            enterprise = min(same, key=lambda e: e["geometry"].distance(point))
            ind_zh, ind_en = INDUSTRIES[industry]
            for prefix_zh, prefix_en in rng.permutation(COOPERATIVE_PREFIXES):  # noqa: B007 (the one kept)
                name_zh = f"汉源县{prefix_zh}{self.township_zh[township][:-1]}{ind_zh}专业合作社"
                if name_zh not in used_names:
                    break
            else:
                prefix_zh, prefix_en = "第" + str(i), "No. " + str(i)
                name_zh = f"汉源县{self.township_zh[township][:-1]}{ind_zh}专业合作社{i}"
            used_names.add(name_zh)
            base = coop_bases.iloc[i].id if i < len(coop_bases) else None
            if base is not None:  # a cooperative sits beside the base it built
                shape = coop_bases.iloc[i].geometry
                point = random_point_in(rng, shape.buffer(400).intersection(self._area(coop_bases.iloc[i].zone)))
                township = self._township_of(point)
            rows.append({"id": f"C{i + 1:03d}", "name_zh": name_zh,
                         "name_en": f"Hanyuan {prefix_en} {self.township_en[township]} {ind_en} Cooperative",
                         "kind": "cooperative", "industry": industry, "township": township,
                         "zone": self._zone_of(point), "enterprise": enterprise["id"], "base": base,
                         "members": int(rng.integers(5, 120)), "model": enterprise["model"],
                         "source": ILLUSTRATIVE, "geometry": point})
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)

    # farm stays and festivals -------------------------------------------------------------
    def farm_stays(self) -> gpd.GeoDataFrame:
        rng = self.rng
        details = np.random.default_rng(SEED + 11)  # fields added later draw from their own stream,
        rows = []                                  # so the other layers stay as they were
        plans = [plan for plan in ZONE_PLANS for _ in range(plan.farm_stays)]
        stars = rng.permutation([3] * 7 + [4] * 6 + [5] * 3)
        for i, plan in enumerate(plans):
            point = random_point_in(rng, self.zone_shapes[plan.id])
            township = self._township_of(point)
            name_zh, name_en = FARM_STAY_NAMES[i]
            dishes = list(rng.choice(DISHES, 3, replace=False))
            season_zh, season_en, opening = SEASONS[plan.lead_industry]
            (village_zh, village_en), (road_zh, road_en) = (VILLAGES[details.integers(len(VILLAGES))],
                                                            ROADS[details.integers(len(ROADS))])
            group, number = int(details.integers(1, 9)), int(details.integers(1, 99))
            town_en = self.township_en[township] + (" Town" if self.township_zh[township].endswith("镇") else " Township")
            rows.append({"id": f"FS{i + 1:02d}", "name_zh": name_zh, "name_en": name_en, "stars": int(stars[i]),
                         "price": float(rng.integers(6, 21) * 10), "beds": int(rng.integers(8, 61)),
                         "phone": f"0835-0{rng.integers(0, 100_000):06d}", "township": township,
                         "zone": plan.id, "season": season_zh, "dishes": "、".join(dishes),
                         "address_zh": f"汉源县{self.township_zh[township]}{village_zh}村{group}组{road_zh}{number}号",
                         "source": ILLUSTRATIVE,
                         "address_en": f"No. {number} {road_en}, Group {group}, {village_en} Village, {town_en}, "
                                       "Hanyuan County, Sichuan",
                         "season_en": season_en, "dishes_en": ", ".join(DISHES_EN[d] for d in dishes),
                         "open_from_md": opening[0] if opening and i % 2 == 0 else None,
                         "open_to_md": opening[1] if opening and i % 2 == 0 else None,
                         "geometry": point})
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)

    def festivals(self) -> gpd.GeoDataFrame:
        rows = []
        for id_, name_zh, name_en, start, end, township, industry, venue_zh, venue_en in FESTIVALS:
            seat = self.seats[township]
            area = seat.buffer(1_500).intersection(self.township_shapes[township])
            point = random_point_in(self.rng, area)
            rows.append({"id": id_, "name_zh": name_zh, "name_en": name_en, "start_md": start, "end_md": end,
                         "venue_zh": venue_zh, "venue_en": venue_en, "township": self._township_of(point),
                         "zone": self._zone_of(point), "industry": industry,
                         "source": ILLUSTRATIVE + ("; the article names no place for the peach fair"
                                                   if id_ == "peach-fair" else ""),
                         "geometry": point})
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)

