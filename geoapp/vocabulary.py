"""What each coded value of the data is called: one catalog word (msgid) per code of every
vocabulary `geoapp.layers` defines, for every page, popup, legend, table, chart and report.

The words are English msgids marked with `N_`; the door that shows them translates them
(`geoapp.messages.translator`, or Flask-Babel's gettext). Industries are the exception: their
names are data-like pairs (Chinese, English) kept with their codes in `geoapp.layers.INDUSTRIES`.
"""
from __future__ import annotations

from geoapp.layers import (
    ACTIVITY_KINDS,
    BASE_KINDS,
    CHAIN_STAGES,
    COOPERATIVE_KINDS,
    ORGANISATION_FORMS,
    ORGANISATION_KINDS,
    PIPELINE_STAGES,
    PLAN_KINDS,
    TOWNSHIP_KINDS,
)
from geoapp.messages import N_

ORGANISATION_KIND_WORDS = {"general": N_("zone general branch"), "industry": N_("industry party branch"),
                           "association": N_("association party branch"), "sector": N_("sector general branch")}
ORGANISATION_FORM_WORDS = {"regional": N_("regional organisations"), "industry": N_("industry organisations"),
                           "sector": N_("sector organisations")}
BASE_KIND_WORDS = {"production": N_("production base"), "cooperative": N_("cooperative base"),
                   "training": N_("training base"), "remote-education": N_("remote-education base")}
COOPERATIVE_KIND_WORDS = {"cooperative": N_("cooperative"), "leading_enterprise": N_("leading enterprise")}
TOWNSHIP_KIND_WORDS = {"town": N_("town"), "township": N_("township"), "ethnic township": N_("ethnic township")}
ACTIVITY_WORDS = {"petition_day": N_("Petition reception day"), "deliberation_day": N_("Democratic deliberation day"),
                  "open_day": N_("Party-building open day"), "e_learning_day": N_("Remote-education screening day"),
                  "culture_sports_day": N_("Culture and sports day")}
STAGE_WORDS = {"talent_pool": N_("“Good youth” talent pool"), "village_selection": N_("Selected by the village"),
               "township_training": N_("Trained by the township"),
               "county_development": N_("Put forward to the county"), "member": N_("New party members"),
               "leader_candidate": N_("Leader candidates")}
# said next to every call button whose number comes from the illustrative sample
ILLUSTRATIVE_PHONE = N_("Illustrative number: the sample data's numbers cannot be dialled.")
CHAIN_WORDS = {"production": N_("production"), "processing": N_("deep processing"), "distribution": N_("distribution"),
               "sightseeing": N_("sightseeing")}
# A proposal's fields as its history names them (the planning page, the proposal sheet).
PROPOSAL_FIELD_WORDS = {"name": N_("name"), "notes": N_("notes"), "industry": N_("industry"), "status": N_("status"),
                        "geometry": N_("site"), "review_comment": N_("review comment"), "reviewer": N_("reviewer"),
                        "candidate": N_("suggested site")}
ROLE_WORDS = {"planner": N_("planner"), "admin": N_("administrator"), "branch": N_("branch secretary")}
PLAN_WORDS = {"industry": N_("Industry development plan"), "party_building": N_("Party-building plan")}
# the cooperative models the article names, as the data records them (in Chinese)
MODEL_WORDS = {"企业+专合组织+基地+农户": N_("enterprise + cooperative + base + farmers"),
               "超市+协会+农户": N_("supermarket + association + farmers")}
# the article's four strands (一是组织联动 … 四是发展联动), with the article's own words
STRAND_WORDS = {"organisation": (N_("1. Organisation linkage"), "一是组织联动"),
                "team": (N_("2. Team linkage"), "二是队伍联动"),
                "service": (N_("3. Service linkage"), "三是服务联动"),
                "development": (N_("4. Development linkage"), "四是发展联动")}
# what the candidate-site ranking weighs
FACTOR_WORDS = {"near_industry_bases": N_("near the industry's bases"),
                "near_industry_cooperatives": N_("near its cooperatives"), "zone_coverage": N_("zone coverage"),
                "near_branch": N_("near a party branch"), "elevation_fit": N_("elevation band")}

for _words, _codes in ((ORGANISATION_KIND_WORDS, ORGANISATION_KINDS), (ORGANISATION_FORM_WORDS, ORGANISATION_FORMS),
                       (BASE_KIND_WORDS, BASE_KINDS), (COOPERATIVE_KIND_WORDS, COOPERATIVE_KINDS),
                       (TOWNSHIP_KIND_WORDS, TOWNSHIP_KINDS), (ACTIVITY_WORDS, ACTIVITY_KINDS),
                       (STAGE_WORDS, PIPELINE_STAGES), (PLAN_WORDS, PLAN_KINDS), (CHAIN_WORDS, CHAIN_STAGES)):
    assert set(_words) == set(_codes), f"every code has its word: {sorted(set(_codes) ^ set(_words))}"
