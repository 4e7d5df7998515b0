"""The county figures the source article gives (docs/BRIEF.md §3).

These are targets, not data: the generator aims at them, tests compare the summary computed
from the rows with them, and pages show the article's words beside the computed value.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArticleFigure:
    key: str
    value: int
    at_least: bool      # the article says "more than" (余)
    words_zh: str       # the article's words
    label_zh: str
    label_en: str
    unit_en: str = ""

    def agrees_with(self, computed: float) -> bool:
        return computed >= self.value if self.at_least else computed == self.value


ARTICLE_FIGURES: tuple[ArticleFigure, ...] = (
    ArticleFigure("zones", 5, False, "5个产业党建联动区党总支", "联动区党总支", "linkage zones"),
    ArticleFigure("industry_branches", 93, False, "93个特色产业党支部", "特色产业党支部", "industry party branches"),
    ArticleFigure("party_groups", 190, True, "190余个特色产业党小组", "特色产业党小组", "industry party groups"),
    ArticleFigure("association_branches", 6, False, "产业协会党支部6个", "产业协会党支部", "association branches"),
    ArticleFigure("sector_general_branches", 2, False, "行业主管部门产业党总支2个", "行业主管部门产业党总支", "sector general branches"),
    ArticleFigure("leader_candidates", 5, False, "联动区党组织负责人候选人5名", "负责人候选人", "leader candidates"),
    ArticleFigure("new_members_since_2014", 20, True, "20余名…培养成党员", "2014年来发展党员", "new members since 2014"),
    ArticleFigure("loans", 137, False, "小额产业扶持贷款137笔", "小额扶持贷款", "micro-loans"),
    ArticleFigure("loan_amount_yuan", 10_000_000, True, "共1000余万元", "贷款金额", "loan amount", "yuan"),
    ArticleFigure("loan_beneficiaries", 137, False, "直接扶持137人", "直接扶持人数", "loan beneficiaries"),
    ArticleFigure("jobs_created", 400, True, "带动400余人就业", "带动就业", "jobs created"),
    ArticleFigure("training_bases", 12, False, "产业培训基地12个", "产业培训基地", "training bases"),
    ArticleFigure("remote_education_bases", 45, False, "远程教育学用示范基地45个", "远程教育示范基地", "remote-education bases"),
    ArticleFigure("training_sessions", 131, False, "农业技能培训131期", "技能培训期数", "training sessions"),
    ArticleFigure("trainees", 29_000, True, "培训29000余人次", "培训人次", "trainees"),
    ArticleFigure("study_tour_households", 300, True, "300余名产业大户外出参观", "外出参观大户", "study-tour households"),
    ArticleFigure("cooperatives", 151, False, "151家农村专业合作经济组织", "专业合作经济组织", "cooperatives"),
    ArticleFigure("leading_enterprises", 7, False, "龙头企业7个", "龙头企业", "leading enterprises"),
    ArticleFigure("cooperative_bases", 11, False, "带动建设产业基地11个", "合作社产业基地", "cooperative bases"),
    ArticleFigure("households_benefiting", 41_400, False, "受益农户41400户", "受益农户", "households benefiting"),
    ArticleFigure("income_gain_yuan_per_capita", 793, False, "人均纯收入增加793元", "人均纯收入增加", "income gain per capita", "yuan"),
    ArticleFigure("farm_stays", 16, False, "星级农家乐16家", "星级农家乐", "star-rated farm stays"),
    ArticleFigure("tourist_visits", 493_000, False, "游客49.3万人次", "游客人次", "tourist visits"),
    ArticleFigure("tourism_income_yuan", 302_190_000, False, "旅游综合收入30219万元", "旅游综合收入", "tourism income", "yuan"),
    ArticleFigure("labour_transfer", 6_000, True, "劳动力转移6000余人", "劳动力转移", "labour transferred"),
)

FIGURES_BY_KEY = {f.key: f for f in ARTICLE_FIGURES}

# The article's four strands (一是组织联动 … 四是发展联动) and the figures each reports.
STRANDS: dict[str, tuple[str, ...]] = {
    "organisation": ("zones", "industry_branches", "party_groups", "association_branches", "sector_general_branches"),
    "team": ("leader_candidates", "new_members_since_2014"),
    "service": ("loans", "loan_amount_yuan", "loan_beneficiaries", "jobs_created", "training_bases",
                "remote_education_bases", "training_sessions", "trainees", "study_tour_households", "cooperatives",
                "leading_enterprises", "cooperative_bases"),
    "development": ("households_benefiting", "income_gain_yuan_per_capita", "farm_stays", "tourist_visits",
                    "tourism_income_yuan", "labour_transfer"),
}
assert sorted(k for keys in STRANDS.values() for k in keys) == sorted(FIGURES_BY_KEY)
