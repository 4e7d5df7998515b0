"""The branch as the unit of work: the chain of committees above a branch, the villages it serves,
its five days month by month and where it stands (green, amber, red), and a ranking of the
branches of a zone whose score shows its parts.

The standing rule (docs/BRIEF.md §2: "each month: which branches held their 五日, which are late"),
over the last STATUS_MONTHS months up to the month asked about (`as_of`, by default the latest
month that holds any activity):
- green: each of the five days held in each of those months;
- amber: one or two of those fifteen missed;
- red: three or more missed, or nothing at all held in the last SILENT_MONTHS months.

DataFrames in, DataFrames and dicts out; no Flask.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from geoapp.data.load import Dataset
from geoapp.layers import ACTIVITY_KINDS
from geoapp.messages import N_, UserError

STATUS_MONTHS = 3     # the months a branch's standing looks back over
SILENT_MONTHS = 2     # nothing held in this many months is red, whatever else
AMBER_MOST = 2        # missed days that are still amber
STATUSES = ("green", "amber", "red")
SCORE_PARTS = {       # the ranking's parts and their weights (points out of 100)
    "five_days": 40,      # the five days held in the last three months, of fifteen
    "attendance": 30,     # attendance ÷ members at those days (at most 1)
    "new_members": 15,    # new members since 2014, as a share of the most any branch of the zone has
    "plan": 15,           # the branch's share of the zone plan's party-building targets (groups, new members)
}
ORGANISATION_KINDS_WITH_DAYS = ("general", "industry", "association", "sector")
MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


class BadMonth(UserError):
    status = 400


def parse_month(text: str | None) -> pd.Period | None:
    """`?as_of=2015-12` as a month; None when not given; BadMonth names what is wrong."""
    if text is None or text == "":
        return None
    if not isinstance(text, str) or not MONTH.fullmatch(text):
        raise BadMonth(N_("as_of: %(value)s is not a month (year-month such as 2015-12)"), value=str(text)[:40])
    return pd.Period(text, freq="M")


def latest_month(activities: pd.DataFrame) -> pd.Period | None:
    """The latest month that holds an activity (None when there are none)."""
    if activities.empty:
        return None
    return pd.Period(str(activities.date.max())[:7], freq="M")


def months_before(as_of: pd.Period, count: int) -> list[str]:
    """The `count` months ending with `as_of`, oldest first, as "YYYY-MM"."""
    return [str(as_of - k) for k in range(count - 1, -1, -1)]


@dataclass(frozen=True)
class Standing:
    """Where every organisation stands in the month asked about."""
    as_of: str | None                 # "YYYY-MM"; None when no activity was ever recorded
    months: tuple[str, ...]           # the months looked at, oldest first
    table: pd.DataFrame               # index: organisation id; status, held, missed, missing, silent,
                                      # last_held, attendance, attendance_rate


def standing(organisations: pd.DataFrame, activities: pd.DataFrame, as_of: pd.Period | None = None) -> Standing:
    """Each organisation's standing (see the module) in `as_of` (the latest month with data when
    None), computed for all of them at once."""
    as_of = as_of or latest_month(activities)
    ids = organisations.id.to_numpy()
    if as_of is None:
        table = pd.DataFrame({"status": "red", "held": 0, "missed": STATUS_MONTHS * len(ACTIVITY_KINDS),
                              "missing": [[] for _ in ids], "silent": True, "last_held": None,
                              "attendance": 0, "attendance_rate": np.nan}, index=pd.Index(ids, name="id"))
        return Standing(None, (), table)
    months = months_before(as_of, STATUS_MONTHS)
    month_of = activities.date.astype(str).str[:7]
    recent = activities[month_of.isin(months)].assign(month=month_of)
    held_slots = set(zip(recent.branch, recent.month, recent.kind))
    up_to = activities[month_of <= months[-1]]
    last_held = up_to.groupby("branch").date.max()
    attendance = recent.groupby("branch").attendance.agg(["sum", "size"])
    members = organisations.set_index("id").members.astype(float)
    rows = []
    silent_months = set(months[-SILENT_MONTHS:])
    for branch in ids:
        missing = [(m, k) for m in months for k in ACTIVITY_KINDS if (branch, m, k) not in held_slots]
        silent = not any((branch, m, k) in held_slots for m in silent_months for k in ACTIVITY_KINDS)
        missed = len(missing)
        status = "red" if silent or missed > AMBER_MOST else "amber" if missed else "green"
        total, days = (attendance.loc[branch] if branch in attendance.index else (0, 0))
        rate = total / (days * members[branch]) if days and members.get(branch, 0) > 0 else np.nan
        rows.append({"id": branch, "status": status, "held": STATUS_MONTHS * len(ACTIVITY_KINDS) - missed,
                     "missed": missed, "missing": [{"month": m, "kind": k} for m, k in missing], "silent": silent,
                     "last_held": last_held.get(branch), "attendance": int(total), "attendance_rate": rate})
    return Standing(str(as_of), tuple(months), pd.DataFrame(rows).set_index("id"))


def calendar(activities: pd.DataFrame, branch: str, months: list[str], lang: str = "zh") -> list[dict]:
    """The branch's five days month by month: for each month, each kind with what was held
    (date, topic, attendance, id), newest month first."""
    mine = activities[activities.branch == branch]
    month_of = mine.date.astype(str).str[:7]
    topic = "topic_en" if lang == "en" else "topic_zh"
    found: dict[tuple[str, str], list[dict]] = {}
    for row, month in zip(mine.itertuples(), month_of):
        found.setdefault((month, row.kind), []).append({
            "id": row.id, "date": row.date, "topic": getattr(row, topic) if isinstance(getattr(row, topic), str)
            else (row.topic_zh if isinstance(row.topic_zh, str) else None),
            "attendance": int(row.attendance), "reported_by": _text(getattr(row, "reported_by", None)),
            "photos": (_text(getattr(row, "photos", None)) or "").split(",") if _text(getattr(row, "photos", None))
            else []})
    return [{"month": month, "days": {kind: sorted(found.get((month, kind), []), key=lambda a: a["date"])
                                      for kind in ACTIVITY_KINDS}}
            for month in reversed(months)]


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def period_months(activities: pd.DataFrame, as_of: str | None, count: int = 12) -> list[str]:
    """The `count` months up to `as_of` that a calendar shows, oldest first."""
    if as_of is None:
        return []
    return months_before(pd.Period(as_of, freq="M"), count)


def parents(dataset: Dataset, organisation_id: str) -> list[dict]:
    """The chain above an organisation, nearest first: its parent branches, then the committee
    over the topmost of them (a township committee for a zone's general branch) and that
    committee's parents, ending with the county committee. Stops at a loop or a missing link."""
    organisations = dataset["party_organisations"].set_index("id")
    committees = dataset["committees"].set_index("id")
    chain: list[dict] = []
    seen = {organisation_id}
    current = organisations.loc[organisation_id]
    while isinstance(current.get("parent"), str) and current["parent"] in organisations.index \
            and current["parent"] not in seen:
        seen.add(current["parent"])
        chain.append({"id": current["parent"], "layer": "party_organisations",
                      "kind": organisations.at[current["parent"], "kind"]})
        current = organisations.loc[current["parent"]]
    committee = current.get("committee")
    while isinstance(committee, str) and committee in committees.index and committee not in seen:
        seen.add(committee)
        chain.append({"id": committee, "layer": "committees", "kind": committees.at[committee, "kind"]})
        committee = committees.at[committee, "parent"]
    return chain


def served_villages(dataset: Dataset, organisation_id: str) -> pd.DataFrame:
    """The villages whose serving branch is the organisation."""
    villages = dataset["villages"]
    return villages[villages.branch == organisation_id]


def ranking(organisations: pd.DataFrame, table: pd.DataFrame, plans: pd.DataFrame, zone: str) -> list[dict]:
    """The zone's industry and association branches ranked by a score out of 100 whose parts
    are shown (SCORE_PARTS): each part is a share (0–1) times its weight."""
    branches = organisations[(organisations.zone == zone) & organisations.kind.isin(["industry", "association"])]
    if branches.empty:
        return []
    targets = plans[(plans.zone == zone) & (plans.kind == "party_building")].set_index("indicator").target
    count = len(branches)
    most_new = max(int(branches.new_members_since_2014.max()), 1)
    rows = []
    for org in branches.itertuples():
        standing_of = table.loc[org.id]
        shares = {"five_days": standing_of.held / (STATUS_MONTHS * len(ACTIVITY_KINDS)),
                  "attendance": min(float(standing_of.attendance_rate), 1.0) if pd.notna(standing_of.attendance_rate)
                  else 0.0,
                  "new_members": int(org.new_members_since_2014) / most_new,
                  "plan": _plan_share(org, targets, count)}
        parts = {part: round(shares[part] * weight, 1) for part, weight in SCORE_PARTS.items()}
        rows.append({"id": org.id, "status": standing_of.status, "score": round(sum(parts.values()), 1),
                     "parts": parts, "shares": {k: round(v, 3) for k, v in shares.items()}})
    rows.sort(key=lambda r: (-r["score"], r["id"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def _plan_share(org, targets: pd.Series, branches: int) -> float:
    """What the branch holds of its even share of the zone plan's targets for party groups and
    new members (each at most 1), averaged; 0 when the zone has no such targets."""
    shares = []
    for indicator, held in (("party_groups", org.party_groups), ("new_members", org.new_members_since_2014)):
        target = float(targets.get(indicator, 0) or 0)
        if target > 0:
            shares.append(min(float(held) / (target / branches), 1.0))
    return sum(shares) / len(shares) if shares else 0.0


# the member pipeline as a process ------------------------------------------------------------------

def pipeline_flow(pipeline: pd.DataFrame, until: str, zone: str | None = None) -> dict:
    """The member pipeline as a process, from the days each person reached each step
    (`<step>_date`): for each step, how many reached it, how many went on to the next, and the
    median days that took; conversion from the pool to membership by the year people entered
    the pool; and the people waiting longest at their step until `until` (ids only). For the
    office: the waiting list holds rows about people (no names)."""
    from geoapp.layers import PIPELINE_STEPS
    rows = pipeline if zone is None else pipeline[pipeline.zone == zone]
    dates = {step: pd.to_datetime(rows.get(f"{step}_date"), errors="coerce") for step in PIPELINE_STEPS}
    steps = []
    for step, following in pairwise(PIPELINE_STEPS):
        reached = dates[step].notna()
        went_on = reached & dates[following].notna()
        days = (dates[following] - dates[step]).dt.days[went_on]
        steps.append({"step": step, "next": following, "reached": int(reached.sum()), "went_on": int(went_on.sum()),
                      "conversion": round(float(went_on.sum() / reached.sum()), 3) if reached.sum() else None,
                      "median_days": int(days.median()) if len(days) else None})
    pool = dates[PIPELINE_STEPS[0]]
    by_year = []
    for year in sorted(pool.dt.year.dropna().astype(int).unique()):
        entered = pool.dt.year == year
        members = entered & dates["member"].notna()
        by_year.append({"year": int(year), "entered": int(entered.sum()), "members": int(members.sum())})
    end = pd.Timestamp(until)
    last_step = pd.Series(None, index=rows.index, dtype=object)
    last_day = pd.Series(pd.NaT, index=rows.index)
    for step in PIPELINE_STEPS[:-1]:  # members have arrived; they wait for nothing
        here = dates[step].notna()
        last_step[here], last_day[here] = step, dates[step][here]
    waiting = rows.assign(step=last_step, since=last_day)[last_step.notna() & dates["member"].isna()]
    waiting = waiting.assign(days=(end - waiting.since).dt.days).sort_values(["days", "id"], ascending=[False, True])
    longest = [{"id": r.id, "branch": r.branch, "zone": r.zone if isinstance(r.zone, str) else None, "step": r.step,
                "since": r.since.strftime("%Y-%m-%d"), "days": int(r.days)} for r in waiting.head(10).itertuples()]
    return {"until": until, "steps": steps, "by_entry_year": by_year, "waiting_longest": longest}
