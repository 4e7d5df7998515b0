"""The branch pages (/branches/<id>, /api/branches/<id>), the list of branches with their standing
(/api/branches?status=red), the late list beside the coverage map, the ranking on the zone pages,
and what a branch secretary may write: the branch's reports of its five days.

Who is shown: an organisation's secretary and its office phone are public, as 党务公开 and every
党建地图 show them; its members never are (counts only, and counts about people — candidates, new
members, the member structure, loans — under the "fewer than 5" rule of `geoapp.indicators`).
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pandas as pd

from geoapp import formats
from geoapp.analysis import branches as analysis
from geoapp.analysis.directions import directions, phone_link
from geoapp.analysis.linkages import FORM_OF_KIND
from geoapp.data.load import REPORTS, report_problems, reports_frame
from geoapp.indicators import people_count
from geoapp.layers import ACTIVITY_KINDS, INDUSTRIES, MAX_TEXT, PIPELINE_STEPS, STRUCTURE_VALUES
from geoapp.messages import N_, UserError, translator
from geoapp.store.base import ActivityReport, ActivityReportStore, User, UserStore
from geoapp.views import Viewer
from geoapp.views.served import ServedVersion
from geoapp.vocabulary import (
    ACTIVITY_WORDS,
    ILLUSTRATIVE_PHONE,
    ORGANISATION_FORM_WORDS,
    ORGANISATION_KIND_WORDS,
    STAGE_WORDS,
)

Urls = Callable[..., str]
KEEP_MONTHS = 24               # standings kept per version (one per month asked about)
CALENDAR_MONTHS = 12
MAX_ATTENDANCE = 10_000     # the layer's own maximum (geoapp.layers)
MAX_PHOTOS = 3              # photos with one report
STATUS_WORDS = {"green": N_("on time"), "amber": N_("one or two days missed"), "red": N_("late")}
COMMITTEE_KIND_WORDS = {"county": N_("county committee"), "township": N_("township committee")}
STRUCTURE_WORDS = {"age": N_("Age"), "education": N_("Education"), "sex": N_("Sex"),
                   "35_or_under": N_("35 or under"), "36_45": N_("36–45"), "46_55": N_("46–55"), "56_60": N_("56–60"),
                   "over_60": N_("over 60"), "junior_or_less": N_("junior school or less"),
                   "senior": N_("senior school"), "college": N_("college or more"), "male": N_("men"),
                   "female": N_("women")}
SCORE_WORDS = {"five_days": N_("five days held"), "attendance": N_("attendance"), "new_members": N_("new members"),
               "plan": N_("plan progress")}
RULE = N_("Green: each of the five days held in each of the last three months. Amber: one or two of those "
          "fifteen missed. Red: three or more missed, or nothing held in the last two months. Worked out for "
          "%(month)s, the latest month with records, unless another month is asked for.")


class UnknownBranch(UserError):
    status = 404


class NotYourBranch(UserError):
    status = 403


class BadReport(UserError):
    status = 400


# standing ---------------------------------------------------------------------------------------

def standing_of(version: ServedVersion, as_of: str | None) -> analysis.Standing:
    """Every organisation's standing in `as_of` ("YYYY-MM"; None: the latest month with
    records), made once per version and month (the most recent KEEP_MONTHS months kept)."""
    month = analysis.parse_month(as_of)
    dataset = version.dataset
    if month is None or str(month) == version.analysis.standing.as_of:
        return version.analysis.standing
    return version.made_once(("standing", str(month) if month else None),
                             lambda: analysis.standing(dataset["party_organisations"], dataset["branch_activities"],
                                                       month), keep=KEEP_MONTHS)


def _organisation(version: ServedVersion, branch_id: str) -> pd.Series:
    organisations = version.made_once(("organisations-by-id",),
                                      lambda: version.dataset["party_organisations"].set_index("id", drop=False))
    if not isinstance(branch_id, str) or branch_id not in organisations.index:
        raise UnknownBranch(N_("There is no party organisation “%(id)s”."), id=str(branch_id)[:60])
    return organisations.loc[branch_id]


def _name(row, lang: str) -> str:
    return row["name_en"] if lang == "en" and isinstance(row.get("name_en"), str) else row["name_zh"]


def _zone_names(version: ServedVersion, lang: str) -> dict[str, str]:
    zones = version.dataset["zones"]
    return dict(zip(zones.id, zones.name_en if lang == "en" else zones.name_zh))


def _township_names(version: ServedVersion, lang: str) -> dict[str, str]:
    townships = version.dataset["townships"]
    return dict(zip(townships.code, townships.name_en if lang == "en" else townships.name_zh))


def _missing_words(missing: list[dict], lang: str) -> list[dict]:
    _ = translator(lang)
    return [{**m, "month_text": formats.month(m["month"], lang), "kind_text": _(ACTIVITY_WORDS[m["kind"]])}
            for m in missing]


def _standing_words(row: pd.Series, lang: str) -> dict:
    _ = translator(lang)
    rate = row["attendance_rate"]
    return {"status": row["status"], "status_text": _(STATUS_WORDS[row["status"]]), "held": int(row["held"]),
            "missed": int(row["missed"]), "silent": bool(row["silent"]),
            "missing": _missing_words(row["missing"], lang),
            "last_held": row["last_held"] if isinstance(row["last_held"], str) else None,
            "last_held_text": formats.day(row["last_held"], lang) if isinstance(row["last_held"], str) else "—",
            "attendance_rate": None if pd.isna(rate) else round(float(rate), 3),
            "attendance_rate_text": "—" if pd.isna(rate) else f"{float(rate):.0%}"}


# the list ---------------------------------------------------------------------------------------

def branches_list(version: ServedVersion, lang: str, urls: Urls, status: str | None = None,
                  as_of: str | None = None, zone: str | None = None) -> dict:
    """Every organisation with its standing (`/api/branches`), filtered by status and zone."""
    _ = translator(lang)
    if status is not None and status not in analysis.STATUSES:
        raise BadReport(N_("status: %(value)s is not one of %(choices)s"), value=str(status)[:20],
                        choices=", ".join(analysis.STATUSES))
    standing = standing_of(version, as_of)
    table = standing.table
    organisations = version.dataset["party_organisations"]
    zone_names, township_names = _zone_names(version, lang), _township_names(version, lang)
    rows = []
    for org in organisations.itertuples():
        row = table.loc[org.id]
        if status is not None and row["status"] != status:
            continue
        if zone is not None and org.zone_at != zone:
            continue
        rows.append({"id": org.id, "name": org.name_en if lang == "en" else org.name_zh, "kind": org.kind,
                     "kind_text": _(ORGANISATION_KIND_WORDS[org.kind]), "zone": org.zone_at,
                     "zone_name": zone_names.get(org.zone_at), "township": org.township_at,
                     "township_name": township_names.get(org.township_at),
                     "secretary": org.secretary if isinstance(org.secretary, str) else None,
                     "phone": org.phone if isinstance(org.phone, str) else None,
                     "url": urls("branches.branch_page", branch_id=org.id, lang=lang),
                     **_standing_words(row, lang)})
    counts = table.status.value_counts()
    return {"as_of": standing.as_of, "months": list(standing.months), "rule": _(RULE) % {
                "month": formats.month(standing.as_of, lang) if standing.as_of else "—"},
            "counts": {s: int(counts.get(s, 0)) for s in analysis.STATUSES}, "branches": rows,
            }


def late_list(version: ServedVersion, lang: str, urls: Urls, as_of: str | None = None) -> list[dict]:
    """The red branches first, then the amber ones, each with what is missing (the coverage
    page's "late" list)."""
    listed = branches_list(version, lang, urls, as_of=as_of)["branches"]
    late = [b for b in listed if b["status"] in ("red", "amber")]
    return sorted(late, key=lambda b: (b["status"] != "red", -b["missed"], b["id"]))


def illustrative_notice(version: ServedVersion, lang: str) -> str | None:
    """What the page says about the data being illustrative (None for real data)."""
    _ = translator(lang)
    sources = version.dataset["party_organisations"].source.astype(str)
    if sources.str.startswith("illustrative").any():
        return _("Illustrative data: branches, secretaries (anonymised), phone numbers, villages and activities are "
                 "generated from the article's county totals; they are not records of real people or places.")
    return None


# one branch -------------------------------------------------------------------------------------

def branch_page(version: ServedVersion, branch_id: str, lang: str, viewer: Viewer, urls: Urls,
                as_of: str | None = None) -> dict:
    """Everything /branches/<id> shows and /api/branches/<id> returns."""
    _ = translator(lang)
    org = _organisation(version, branch_id)
    dataset = version.dataset
    standing = standing_of(version, as_of)
    zone_names, township_names = _zone_names(version, lang), _township_names(version, lang)
    point = org.geometry
    disclose = viewer.disclose
    months = analysis.period_months(dataset["branch_activities"], standing.as_of, CALENDAR_MONTHS)
    calendar = analysis.calendar(dataset["branch_activities"], org.id, months, lang)
    for month in calendar:
        month["month_text"] = formats.month(month["month"], lang)
        for held in month["days"].values():
            for activity in held:
                activity["date_text"] = formats.day(activity["date"], lang)
    industry = org.get("industry")
    return {
        "id": org.id, "name": _name(org, lang), "other_name": org["name_zh"] if lang == "en" else org.get("name_en"),
        "kind": org.kind, "kind_text": _(ORGANISATION_KIND_WORDS[org.kind]),
        "form": org.get("form") if isinstance(org.get("form"), str) else FORM_OF_KIND.get(org.kind),
        "form_text": _(ORGANISATION_FORM_WORDS[org.get("form") if isinstance(org.get("form"), str)
                                              else FORM_OF_KIND[org.kind]]),
        "industry": industry if isinstance(industry, str) else None,
        "industry_text": INDUSTRIES[industry][1 if lang == "en" else 0] if isinstance(industry, str) else None,
        "zone": org.zone_at, "zone_name": zone_names.get(org.zone_at),
        "zone_url": urls("zones.zone_page", zone_id=org.zone_at, lang=lang) if isinstance(org.zone_at, str) else None,
        "township": org.township_at, "township_name": township_names.get(org.township_at),
        "lon": round(point.x, 6), "lat": round(point.y, 6),
        "responsible": _responsible(org, lang),
        "directions": directions(point.x, point.y, org["name_zh"], township_names.get(org.township_at)),
        "parents": _parents(version, org.id, lang, urls),
        "children": _children(version, org.id, lang, urls),
        "party_groups": int(org.party_groups), "members": int(org.members),
        "villages": _villages(version, org.id, lang),
        "base": _base(version, org.get("base"), lang, urls),
        "cooperative": _cooperative(version, org.get("cooperative"), lang),
        "people": _people(version, org, disclose),
        "training": _training(version, org, lang),
        "loans": _loans(version, org, disclose),
        "plans": _plans(version, org, lang),
        "standing": {**_standing_words(standing.table.loc[org.id], lang), "as_of": standing.as_of,
                     "as_of_text": formats.month(standing.as_of, lang) if standing.as_of else "—",
                     "months": list(standing.months),
                     "rule": _(RULE) % {"month": formats.month(standing.as_of, lang) if standing.as_of else "—"}},
        "calendar": calendar,
        "activity_kinds": [{"kind": k, "text": _(ACTIVITY_WORDS[k])} for k in ACTIVITY_KINDS],
        "may_report": may_report(viewer, org.id),
        "may_correct": viewer.role == "admin",
        "source": org.source,
        "illustrative": illustrative_notice(version, lang),
    }


def _responsible(org: pd.Series, lang: str) -> dict:
    _ = translator(lang)
    phone = org.get("phone") if isinstance(org.get("phone"), str) else None
    illustrative = str(org.source).startswith("illustrative")
    return {"secretary": org.get("secretary") if isinstance(org.get("secretary"), str) else None,
            "phone": phone, "tel": phone_link(phone) if phone else None,
            "phone_note": _(ILLUSTRATIVE_PHONE) if phone and illustrative else None}


def _parents(version: ServedVersion, branch_id: str, lang: str, urls: Urls) -> list[dict]:
    _ = translator(lang)
    dataset = version.dataset
    found = []
    for link in analysis.parents(dataset, branch_id):
        row = _row(version, link["layer"], link["id"])
        assert row is not None  # the chain holds only ids it found
        is_committee = link["layer"] == "committees"
        phone = row.get("phone") if isinstance(row.get("phone"), str) else None
        found.append({"id": link["id"], "kind": link["kind"], "layer": link["layer"], "name": _name(row, lang),
                      "kind_text": _(COMMITTEE_KIND_WORDS[link["kind"]] if is_committee
                                     else ORGANISATION_KIND_WORDS[link["kind"]]),
                      "secretary": row.get("secretary") if isinstance(row.get("secretary"), str) else None,
                      "phone": phone, "tel": phone_link(phone) if phone else None,
                      "url": None if is_committee else urls("branches.branch_page", branch_id=link["id"], lang=lang)})
    return found


def _children(version: ServedVersion, branch_id: str, lang: str, urls: Urls) -> list[dict]:
    organisations = version.dataset["party_organisations"]
    under = organisations[organisations.parent == branch_id]
    return [{"id": o.id, "name": o.name_en if lang == "en" else o.name_zh, "kind": o.kind,
             "url": urls("branches.branch_page", branch_id=o.id, lang=lang)} for o in under.itertuples()]


def _villages(version: ServedVersion, branch_id: str, lang: str) -> list[dict]:
    villages = analysis.served_villages(version.dataset, branch_id)
    names = _township_names(version, lang)
    return [{"id": v.id, "name": v.name_en if lang == "en" else v.name_zh, "township": v.township,
             "township_name": names.get(v.township)} for v in villages.itertuples()]


def _row(version: ServedVersion, layer_id: str, feature_id) -> pd.Series | None:
    """The row of `layer_id` whose id is `feature_id` (None for none, or for no id)."""
    if not isinstance(feature_id, str):
        return None
    frame = version.dataset[layer_id]
    found = frame[frame.id == feature_id]
    return None if found.empty else found.iloc[0]


def _base(version: ServedVersion, base_id, lang: str, urls: Urls) -> dict | None:
    base = _row(version, "industry_bases", base_id)
    if base is None:
        return None
    return {"id": base_id, "name": _name(base, lang), "area_mu": float(base.area_mu),
            "area_text": formats.number(base.area_mu, lang, "亩" if lang == "zh" else "mu"),
            "url": urls("ogc.item", collection_id="industry_bases", feature_id=base_id)}


def _cooperative(version: ServedVersion, cooperative_id, lang: str) -> dict | None:
    row = _row(version, "cooperatives", cooperative_id)
    if row is None:
        return None
    return {"id": cooperative_id, "name": _name(row, lang),
            "households": int(row.members) if pd.notna(row.members) else None}


def _people(version: ServedVersion, org: pd.Series, disclose: bool) -> dict:
    """Counts about people: candidates by pipeline stage, new members, leader candidates, the
    member structure; each hidden from the public under five."""
    pipeline = version.dataset["members_pipeline"]
    mine = pipeline[pipeline.branch == org.id]
    stages = {stage: people_count(int((mine.stage == stage).sum()), disclose) for stage in PIPELINE_STEPS[:-1]}
    structure = version.dataset["member_structure"]
    own = structure[structure.branch == org.id].set_index(["dimension", "value"])["count"]
    return {"new_members_since_2014": people_count(int(org.new_members_since_2014), disclose),
            "leader_candidates": people_count(int(org.leader_candidates), disclose),
            "candidates": stages,
            "structure": {dimension: {value: people_count(int(own.get((dimension, value), 0)), disclose)
                                      for value in values} for dimension, values in STRUCTURE_VALUES.items()}}


def _training(version: ServedVersion, org: pd.Series, lang: str) -> dict:
    """Training held on the branch's base, or on a training base that stands on it (阵地联基地)."""
    base = org.get("base")
    sessions = version.dataset["training_sessions"]
    if not isinstance(base, str):
        return {"sessions": 0, "participants": 0}
    bases = version.dataset["industry_bases"]
    on_it = set(bases.id[bases.get("stands_on", pd.Series(index=bases.index, dtype=object)) == base]) | {base}
    here = sessions[sessions.training_base.isin(on_it) & (sessions.kind == "training")]
    return {"sessions": len(here), "participants": int(here.participants.sum()), "bases": sorted(on_it)}


def _loans(version: ServedVersion, org: pd.Series, disclose: bool) -> dict | None:
    """The micro-loans recorded in the branch's township and zone (the loans table names no
    branch): count and amount, hidden from the public under five loans."""
    if not isinstance(org.zone_at, str):
        return None
    loans = version.dataset["loans"]
    here = loans[(loans.zone == org.zone_at) & (loans.township == org.township_at)]
    count = people_count(len(here), disclose)
    return {"count": count, "amount_yuan": float(here.amount_yuan.sum()) if count is not None else None,
            "jobs_created": int(here.jobs_created.sum()) if count is not None else None}


def _plans(version: ServedVersion, org: pd.Series, lang: str) -> list[dict]:
    """The zone plan's party-building targets the branch contributes to, with its even share."""
    plans = version.dataset["zone_plans"]
    organisations = version.dataset["party_organisations"]
    if not isinstance(org.zone_at, str) or org.kind not in ("industry", "association"):
        return []
    branches = int(((organisations.zone_at == org.zone_at) & organisations.kind.isin(["industry", "association"])).sum())
    held = {"party_groups": int(org.party_groups), "new_members": int(org.new_members_since_2014)}
    rows = []
    for plan in plans[(plans.zone == org.zone_at) & plans.indicator.isin(list(held))].itertuples():
        share = float(plan.target) / max(branches, 1)
        rows.append({"indicator": plan.indicator, "period": f"{plan.period_start}–{plan.period_end}",
                     "zone_target": float(plan.target), "share": round(share, 1), "held": held[plan.indicator]})
    return rows


# writing ----------------------------------------------------------------------------------------

def may_report(viewer: Viewer, branch_id: str) -> bool:
    """A branch's secretary reports for their own branch; admins for any."""
    return viewer.role == "admin" or (viewer.role == "branch" and viewer.branch == branch_id)


def _check_may_report(viewer: Viewer, branch_id: str) -> None:
    if not may_report(viewer, branch_id):
        raise NotYourBranch(N_("You report for %(yours)s, not for %(branch)s."), yours=viewer.branch or "—",
                            branch=branch_id[:60])


CLIENT_KEY = re.compile(r"[A-Za-z0-9-]{8,64}")


def report_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """The fields of a report as sent (JSON or a form), typed; BadReport names what is wrong."""
    if not isinstance(payload, dict):
        raise BadReport(N_("Send the report as a JSON object."))
    kind = payload.get("kind")
    if kind not in ACTIVITY_KINDS:
        raise BadReport(N_("kind: %(value)s is not one of %(choices)s"), value=str(kind)[:40],
                        choices=", ".join(ACTIVITY_KINDS))
    date = payload.get("date")
    from geoapp.dates import day
    when = day(date)
    if when is None:
        raise BadReport(N_("date: %(value)s is not a day of the calendar (year-month-day such as 2015-03-15)"),
                        value=str(date)[:40])
    if when > formats.beijing_today():
        raise BadReport(N_("date: %(value)s is in the future"), value=str(date))
    topic = payload.get("topic_zh")
    if not isinstance(topic, str) or not topic.strip():
        raise BadReport(N_("topic_zh: say what the day was about"))
    attendance = payload.get("attendance")
    if isinstance(attendance, str) and attendance.strip().isdigit():
        attendance = int(attendance.strip())
    if isinstance(attendance, bool) or not isinstance(attendance, int) or not 0 <= attendance <= MAX_ATTENDANCE:
        raise BadReport(N_("attendance: %(value)s is not a number of people from 0 to %(most)s"),
                        value=str(attendance)[:40], most=MAX_ATTENDANCE)
    minutes = payload.get("minutes") or ""
    if not isinstance(minutes, str) or len(minutes) > MAX_TEXT:
        raise BadReport(N_("minutes: at most %(most)s characters"), most=MAX_TEXT)
    client_key = payload.get("client_key")
    if client_key is not None and (not isinstance(client_key, str) or not CLIENT_KEY.fullmatch(client_key)):
        raise BadReport(N_("client_key: 8–64 letters, digits or '-'"))
    return {"kind": kind, "date": when.isoformat(), "topic_zh": topic.strip(), "attendance": attendance,
            "minutes": minutes.strip(), "client_key": client_key}


def _checked(version: ServedVersion, report: ActivityReport) -> None:
    """The layer's own check (`geoapp.data.load.report_problems`), as a load will run it (a
    correction is checked against the data without the report it replaces)."""
    dataset = version.dataset
    activities = dataset["branch_activities"]
    if report.id:
        dataset = dataset.replace("branch_activities", activities[activities.id != report.activity_id])
    _frame, problems = report_problems(dataset, reports_frame([report]))
    if problems:
        raise BadReport(N_("The report does not pass the activities' check: %(problem)s"),
                        problem=str(problems[0].message))


def record_activity(version: ServedVersion, reports: ActivityReportStore, viewer: Viewer, branch_id: str,
                    payload: dict[str, Any], photos: tuple[str, ...] = ()) -> tuple[dict, bool]:
    """Add a report of one of the five days for `branch_id`: (the report, whether it is new — a
    resend with the same client_key returns the first). UnknownBranch, NotYourBranch,
    BadReport say what is wrong; nothing is stored then."""
    _organisation(version, branch_id)
    _check_may_report(viewer, branch_id)
    fields = report_fields(payload)
    client_key = fields.pop("client_key")
    probe = ActivityReport(id=0, branch=branch_id, photos=tuple(photos), who=viewer.name or "", at="", **fields)
    _checked(version, probe)
    report, new = reports.add(viewer.name or "", client_key=client_key, branch=branch_id, photos=tuple(photos),
                              **fields)
    return {**report.as_dict(), "published": {REPORTS: reports.latest()}}, new


def correct_activity(version: ServedVersion, reports: ActivityReportStore, viewer: Viewer, activity_id: str,
                     payload: dict[str, Any] | None, remove: bool = False) -> dict:
    """An admin corrects (or removes) a reported activity; the store keeps what was there."""
    from geoapp.store.base import report_number
    if viewer.role != "admin":
        raise NotYourBranch(N_("Only an administrator corrects a reported activity."))
    number = report_number(activity_id)
    found = reports.get(number) if number is not None else None
    if found is None:
        raise UnknownBranch(N_("There is no reported activity “%(id)s” (imported activities are corrected by an "
                               "import)."), id=str(activity_id)[:40])
    if remove:
        changed = reports.remove(found.id, viewer.name or "")
    else:
        fields = report_fields({**found.as_dict(), **(payload or {}), "client_key": None})
        fields.pop("client_key")
        _checked(version, ActivityReport(id=found.id, branch=found.branch, photos=found.photos, who=found.who,
                                         at=found.at, **fields))
        changed = reports.update(found.id, viewer.name or "", **fields)
    assert changed is not None
    return {**changed.as_dict(), "published": {REPORTS: reports.latest()}}


def new_client_key() -> str:
    return uuid.uuid4().hex


def create_account(users: UserStore, dataset, name: str, password: str, role: str, branch: str = "") -> User:
    """Create (or reset) a user; a branch user's organisation must be one the data holds."""
    if branch and branch not in set(dataset["party_organisations"].id):
        raise UserError(N_("There is no party organisation “%(id)s”."), id=branch[:60])
    return users.create(name, password, role, branch)


# the zone pages' ranking ---------------------------------------------------------------------

def zone_ranking(version: ServedVersion, zone_id: str, lang: str, urls: Urls, as_of: str | None = None) -> dict:
    """The zone's branches ranked, each score with its parts (`geoapp.analysis.branches.ranking`)."""
    _ = translator(lang)
    standing = standing_of(version, as_of)
    dataset = version.dataset
    organisations = dataset["party_organisations"]
    located = organisations.assign(zone=organisations.zone_at)
    rows = analysis.ranking(located, standing.table, dataset["zone_plans"], zone_id)
    names = dict(zip(organisations.id, organisations.name_en if lang == "en" else organisations.name_zh))
    for row in rows:
        row.update(name=names.get(row["id"]), status_text=_(STATUS_WORDS[row["status"]]),
                   url=urls("branches.branch_page", branch_id=row["id"], lang=lang))
    parts = {k: _(w) for k, w in SCORE_WORDS.items()}
    sep = "、" if lang == "zh" else ", "
    rule = _("Score out of 100, from its parts: %(parts)s. Plan progress is what a branch holds of its even share "
             "of the zone plan's party groups and new members; new members are counted against the most any branch "
             "of the zone has. Worked out for %(month)s.") % {
        "parts": sep.join(f"{parts[k]} {w}" for k, w in analysis.SCORE_PARTS.items()),
        "month": formats.month(standing.as_of, lang) if standing.as_of else "—"}
    return {"as_of": standing.as_of, "weights": dict(analysis.SCORE_PARTS), "parts": parts, "rule": rule,
            "branches": rows}


def stage_words(lang: str) -> dict[str, str]:
    _ = translator(lang)
    return {stage: _(STAGE_WORDS[stage]) for stage in STAGE_WORDS}


def structure_words(lang: str) -> dict[str, str]:
    _ = translator(lang)
    return {key: _(word) for key, word in STRUCTURE_WORDS.items()}


# the member pipeline, for the office ------------------------------------------------------------

class OfficeOnly(UserError):
    status = 403


def pipeline_view(version: ServedVersion, zone: str | None, lang: str, viewer: Viewer, urls: Urls) -> dict:
    """The member pipeline as a process (`geoapp.analysis.branches.pipeline_flow`) up to the end
    of the latest month with records: for logged-in office staff only (it lists people by id)."""
    if not viewer.disclose:
        raise OfficeOnly(N_("The member pipeline's rows are for logged-in office staff only."))
    if zone is not None and zone not in set(version.dataset["zones"].id):
        raise UnknownBranch(N_("There is no linkage zone “%(id)s”."), id=str(zone)[:60])
    as_of = version.analysis.standing.as_of
    until = pd.Period(as_of, freq="M").end_time.date().isoformat() if as_of else formats.beijing_today().isoformat()
    flow = version.made_once(("pipeline-flow", zone, until), lambda: analysis.pipeline_flow(
        version.dataset["members_pipeline"], until, zone))
    words = stage_words(lang)
    names = dict(zip(version.dataset["party_organisations"].id, version.dataset["party_organisations"][
        "name_en" if lang == "en" else "name_zh"]))
    return {**flow, "until_text": formats.day(until, lang),
            "steps": [{**s, "step_text": words[s["step"]], "next_text": words[s["next"]]} for s in flow["steps"]],
            "waiting_longest": [{**w, "step_text": words[w["step"]], "branch_name": names.get(w["branch"]),
                                 "since_text": formats.day(w["since"], lang),
                                 "branch_url": urls("branches.branch_page", branch_id=w["branch"], lang=lang)}
                                for w in flow["waiting_longest"]]}


def zone_five_days(version: ServedVersion, zone: str | None, lang: str) -> dict:
    """A zone's five days in the standing's three months: for each of the five, the days held
    and missed across its organisations (each organisation owes one a month), and how many
    organisations are green, amber and red (the committee's report)."""
    _ = translator(lang)
    standing = version.analysis.standing
    organisations = version.dataset["party_organisations"]
    ids = organisations.id[organisations.zone_at == zone] if zone else organisations.id
    table = standing.table.loc[list(ids)]
    missed = {kind: 0 for kind in ACTIVITY_KINDS}
    for missing in table.missing:
        for m in missing:
            missed[m["kind"]] += 1
    owed = len(table) * len(standing.months)
    return {"months": [formats.month(m, lang) for m in standing.months],
            "kinds": [{"kind": k, "text": _(ACTIVITY_WORDS[k]), "held": owed - missed[k], "missed": missed[k]}
                      for k in ACTIVITY_KINDS],
            "statuses": {s: int((table.status == s).sum()) for s in analysis.STATUSES}}


# the 党内统计 tables -------------------------------------------------------------------------------

def party_statistics(version: ServedVersion, lang: str, disclose: bool) -> list[tuple[str, list[str], list[list]]]:
    """The organisation and member tables in the shape of the party's internal statistics
    (党内统计): counts by kind of organisation and by zone, the members by sex, age and education;
    no row about a person. Counts of people under five hidden unless `disclose`. Each table is
    (title, headers, rows), the last row the county's."""
    _ = translator(lang)
    dataset = version.dataset
    organisations = dataset["party_organisations"]
    structure = dataset["member_structure"].merge(organisations[["id", "zone_at"]], left_on="branch", right_on="id")
    zones = list(zip(version.analysis.zones.id, version.analysis.zones["name_en" if lang == "en" else "name_zh"]))
    scopes = [*zones, (None, _("outside every zone")), ("*", _("County"))]

    def of(frame, scope, column="zone_at"):
        if scope == "*":
            return frame
        return frame[frame[column].isna()] if scope is None else frame[frame[column] == scope]

    kinds = ("general", "industry", "association", "sector")
    organisation_rows = []
    for scope, name in scopes:
        here = of(organisations, scope)
        organisation_rows.append([name, *(int((here.kind == k).sum()) for k in kinds), len(here),
                                  int(here.party_groups.sum()), int(here.members.sum())])
    values = [(d, v) for d, vs in STRUCTURE_VALUES.items() for v in vs]
    words = structure_words(lang)
    member_rows = []
    for scope, name in scopes:
        here = of(structure, scope).groupby(["dimension", "value"])["count"].sum()
        members = int(of(organisations, scope).members.sum())
        new = int(of(organisations, scope).new_members_since_2014.sum())
        shown = [people_count(int(here.get((d, v), 0)), disclose) for d, v in values]
        member_rows.append([name, members, *(_("fewer than 5") if n is None else n
                                             for n in (*shown, people_count(new, disclose)))])
    return [
        (_("Organisations"), [_("Zone"), *(_(ORGANISATION_KIND_WORDS[k]) for k in kinds), _("Organisations"),
                              _("Party groups"), _("Party members")], organisation_rows),
        (_("Members"), [_("Zone"), _("Party members"), *(f"{words[d]}: {words[v]}" for d, v in values),
                        _("New members since 2014")], member_rows),
    ]
