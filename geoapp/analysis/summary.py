"""The county figures of docs/BRIEF.md §3, computed from the rows — never typed in."""
from __future__ import annotations

import pandas as pd

from geoapp.data.load import Dataset


def latest_output(dataset: Dataset) -> pd.DataFrame:
    """The rows of `yearly_output` for the latest year it holds."""
    output = dataset["yearly_output"]
    return output[output.year == output.year.max()]


def weighted_income_gain(output: pd.DataFrame) -> float:
    """Per-capita income gain over `output` rows, weighted by households benefiting (yuan)."""
    households = output.households_benefiting.astype(float)
    if households.sum() == 0:
        return 0.0
    return float((output.income_gain_yuan_per_capita * households).sum() / households.sum())


def _pipeline_count(dataset: Dataset, stage: str, recorded: int, since: int | None = None) -> int:
    """People at `stage` of the member pipeline (since the year `since`), counted from its rows;
    the branches' own records (`recorded`) when the store has no pipeline rows."""
    pipeline = dataset.get("members_pipeline")
    if pipeline is None or pipeline.empty:
        return recorded
    rows = pipeline[pipeline.stage == stage]
    return len(rows if since is None else rows[rows.year >= since])


def county_summary(dataset: Dataset) -> dict[str, int]:
    """Every key of docs/BRIEF.md §3 with its value computed from the dataset's rows."""
    organisations = dataset["party_organisations"]
    bases = dataset["industry_bases"]
    cooperatives = dataset["cooperatives"]
    loans = dataset["loans"]
    training = dataset["training_sessions"]
    output = latest_output(dataset)
    kind = organisations.kind
    sessions = training[training.kind == "training"]
    tours = training[training.kind == "study_tour"]
    figures = {
        "zones": len(dataset["zones"]),
        "industry_branches": (kind == "industry").sum(),
        "party_groups": organisations.party_groups.sum(),
        "association_branches": (kind == "association").sum(),
        "sector_general_branches": (kind == "sector").sum(),
        "leader_candidates": _pipeline_count(dataset, "leader_candidate", organisations.leader_candidates.sum()),
        "new_members_since_2014": _pipeline_count(dataset, "member", organisations.new_members_since_2014.sum(),
                                                  since=2014),
        "loans": len(loans),
        "loan_amount_yuan": loans.amount_yuan.sum(),
        "loan_beneficiaries": loans.recipient.nunique(),
        "jobs_created": loans.jobs_created.sum(),
        "training_bases": (bases.kind == "training").sum(),
        "remote_education_bases": (bases.kind == "remote-education").sum(),
        "training_sessions": len(sessions),
        "trainees": sessions.participants.sum(),
        "study_tour_households": tours.participants.sum(),
        "cooperatives": (cooperatives.kind == "cooperative").sum(),
        "leading_enterprises": (cooperatives.kind == "leading_enterprise").sum(),
        "cooperative_bases": (bases.kind == "cooperative").sum(),
        "households_benefiting": output.households_benefiting.sum(),
        "income_gain_yuan_per_capita": round(weighted_income_gain(output)),
        "farm_stays": len(dataset["farm_stays"]),
        "tourist_visits": output.tourist_visits.sum(),
        "tourism_income_yuan": output.tourism_income_yuan.sum(),
        "labour_transfer": output.labour_transfer.sum(),
    }
    return {key: round(float(value)) for key, value in figures.items()}
