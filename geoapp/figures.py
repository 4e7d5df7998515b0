"""The county figures the source article gives (docs/BRIEF.md §3).

These are targets, not data: the generator aims at them, tests compare the summary computed
from the rows with them, and pages show the article's words beside the computed value.
"""
from __future__ import annotations

from dataclasses import dataclass

from geoapp.messages import N_


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


# The article's words about the model, as data: what the home page explains ---------------------

@dataclass(frozen=True)
class ArticleWords:
    """A phrase of the article (Chinese, as written) and what it means (a catalog msgid)."""
    words_zh: str
    meaning: str


# 服务型党组织: what the linkages are for (the article's title)
SERVICE_ORIENTED = ArticleWords("加强服务型党组织建设", N_(
    "Service-oriented party organisations: the linkages exist so that branches serve the industries and the "
    "households in them — credit, training, markets and visitors — rather than only administer."))
# 通过打破行政区化、打破产供销壁壘和打破粗放管理的方式
THREE_BREAKS = (
    ArticleWords("打破行政区化", N_("Breaking administrative borders: a zone follows the industry bases across "
                                  "township lines.")),
    ArticleWords("打破产供销壁垒", N_("Breaking the walls between production, supply and marketing: enterprises, "
                                    "cooperatives, bases and farmers in one chain.")),
    ArticleWords("打破粗放管理", N_("Breaking extensive management: a branch on every base, a group in every "
                                  "village, the five days every month.")),
)
# 构建"链条式"、"闭合型"联动服务机制
MECHANISM = ArticleWords("构建“链条式”、“闭合型”联动服务机制", N_(
    "A chained, closed-loop service mechanism: the county and township committees, the zone general branch, "
    "the branches and their groups are one chain (each branch page shows it), and every request a branch "
    "hears on its petition day comes back to it answered."))
# the three principles, each explaining one of the three forms of organisation
PRINCIPLES = {
    "regional": ArticleWords("紧贴组织职能定位", N_("Close to what an organisation is for: regional organisations "
                                                 "(the zones' general branches) lead where the bases are.")),
    "industry": ArticleWords("着眼致富能人带动", N_("Led by the people who make an industry prosper: industry and "
                                                 "association branches are built on bases and in cooperatives.")),
    "sector": ArticleWords("突出行业主管作用", N_("The sector authorities' role: the county bureaus' general branches "
                                               "bring their services to the zones.")),
}
@dataclass(frozen=True)
class ArticleDocument:
    """A document the article names. Its text is not public: `points` are an illustrative
    outline of what such a document holds, and every page showing them says so."""
    title: str                     # msgid
    words_zh: str                  # the article's name for it
    context_zh: str                # the article's sentence that names it
    points: tuple[str, ...]        # msgids: the illustrative outline
    serves: str                    # where in the app it shows (a page's anchor)


DOCUMENTS = {
    "selection-standard": ArticleDocument(
        N_("Standards and methods for selecting zone leaders"), "选任标准和办法",
        "县、乡两级党委把选育产业发展带头人作为重点，制定选任标准和办法，推选发展能力强、带富能力强的联动区党组织负责人候选人5名。",
        (N_("Candidates are party members who lead an industry in the zone: strong in developing it, strong in "
            "helping others prosper."),
         N_("The township committee proposes, the county committee examines, the zone general branch elects."),
         N_("A candidate's record (the base, the households it drives, the branch's five days) is reviewed each "
            "year.")), "team"),
    "member-development": ArticleDocument(
        N_("Methods for developing party members in industry organisations"), "产业党组织发展党员办法",
        "制定产业党组织发展党员办法，广泛开展“农村好青年”评选活动，建立“好青年”人才库，通过村选拔、乡培训、县发展的三级培养制度。",
        (N_("The “good youth” talent pool takes young people who grow, process or sell the zone's products."),
         N_("The village selects, the township trains, the county develops: each step is dated in the member "
            "pipeline."),
         N_("An industry branch reports the people at each step; the office sees how long each has waited.")),
        "team"),
    "industry-support": ArticleDocument(
        N_("Hanyuan County measures for supporting distinctive industries"), "《汉源县特色产业发展扶持办法》",
        "出台《汉源县特色产业发展扶持办法》，通过启动“农村党员信贷直通车”，累计发放小额产业扶持贷款137笔，共1000余万元。",
        (N_("The policy behind the micro-loans of the credit scheme for rural party members (农村党员信贷直通车)."),
         N_("Loans go to party members and the households they lead in a zone's industries, for one to three "
            "years."),
         N_("The loans table records each loan's year, term and repayment (shown to the office only).")),
        "service"),
}
