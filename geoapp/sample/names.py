"""The names and plans the illustrative data is built from: the five zones as the article names
them, the festivals, and invented names for farm stays, villages, roads, cooperatives and
enterprises (none of them a real business or person)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ZonePlan:
    id: str
    name_zh: str
    name_en: str
    lead_industry: str
    townships: tuple[str, ...]       # seats whose surroundings form the zone
    industry_branches: int
    farm_stays: int
    secretary: str


ZONE_PLANS = (
    ZonePlan("qingxi-pepper", "清溪花椒产业党建联动区", "Qingxi Sichuan Pepper Linkage Zone",
             "sichuan_pepper", ("qingxi", "xixi", "datian"), 22, 3, "王某某"),
    ZonePlan("shuangxi-peach", "双溪白凤桃产业党建联动区", "Shuangxi White Phoenix Peach Linkage Zone",
             "peach", ("shuangxi",), 18, 3, "李某某"),
    ZonePlan("jiuxiang-pear", "九襄梨产业党建联动区", "Jiuxiang Pear Linkage Zone",
             "pear", ("jiuxiang", "qianyu", "houyu", "tangjia"), 22, 6, "张某某"),
    ZonePlan("yidong-apple", "宜东—梨园苹果产业党建联动区", "Yidong–Liyuan Apple Linkage Zone",
             "apple", ("yidong", "liyuan", "sanjiao"), 16, 2, "刘某某"),
    ZonePlan("dashu-citrus", "大树—安乐黄果柑产业党建联动区", "Dashu–Anle Huangguogan Citrus Linkage Zone",
             "citrus", ("dashu", "anle", "fulin"), 15, 2, "陈某某"),
)

# Bases outside every zone and bases no branch serves: the coverage check must find real gaps.
OUTSIDE_ZONE_BASES = (("malie", "sichuan_pepper"), ("huangmu", "apple"),
                      ("pianma", "walnut"), ("henan", "vegetables"))
UNSERVED_BASES_PER_ZONE = {"jiuxiang-pear": 1, "yidong-apple": 1}

FESTIVALS = (
    ("pear-blossom-month", "赏花旅游文化月", "Pear-Blossom Tourism and Culture Month", "03-15", "04-15",
     "jiuxiang", "pear", "九襄镇梨花沟", "Jiuxiang pear-blossom valley"),
    ("pepper-festival", "花椒节", "Sichuan Pepper Festival", "07-25", "08-20",
     "qingxi", "sichuan_pepper", "清溪古镇", "Qingxi ancient town"),
    ("peach-fair", "蟠桃会", "Flat-Peach Fair", "07-01", "07-31",
     "shuangxi", "peach", "双溪乡白凤桃园（场地为推测）", "Shuangxi peach orchards (venue assumed)"),
)

FARM_STAY_NAMES = (  # (Chinese, English) in ZONE_PLANS order, themed by the zone's industry; invented
    ("椒香人家", "Pepper Aroma House"), ("清溪驿站", "Qingxi Post House"), ("古镇小院", "Old Town Courtyard"),
    ("桃源农庄", "Peach Spring Farm"), ("白凤桃农家乐", "White Phoenix Peach Farm Stay"), ("花海小筑", "Flower Sea Cottage"),
    ("梨花山庄", "Pear Blossom Villa"), ("九襄梨园人家", "Jiuxiang Orchard Home"), ("云上梨乡", "Pear Village in the Clouds"),
    ("果香园", "Fruit Fragrance Garden"), ("樱桃沟农家", "Cherry Valley Farmhouse"), ("老街客栈", "Old Street Inn"),
    ("苹果山居", "Apple Hill Lodge"), ("高山果园农家", "Highland Orchard Farmhouse"),
    ("黄果柑农庄", "Huangguogan Citrus Farm"), ("湖畔农家乐", "Lakeside Farm Stay"),
)
DISHES = ("花椒鸡", "坨坨肉", "黄牛肉汤锅", "腊肉", "豆花", "野菜", "梨花宴", "桃花鱼", "泡菜")
DISHES_EN = {"花椒鸡": "Sichuan-pepper chicken", "坨坨肉": "Yi-style chunked pork", "黄牛肉汤锅": "beef hotpot",
             "腊肉": "cured pork", "豆花": "tofu pudding", "野菜": "wild greens", "梨花宴": "pear-blossom banquet",
             "桃花鱼": "peach-blossom fish", "泡菜": "Sichuan pickles"}
SEASONS = {  # lead industry -> (Chinese, English, opening season or None for all year)
    "sichuan_pepper": ("7–8月花椒采摘", "pepper picking, July–August", None),
    "peach": ("3月桃花，7月品桃", "peach blossom in March, peaches in July", ("03-01", "10-31")),
    "pear": ("3–4月赏梨花，8–9月品梨", "pear blossom in March–April, pears in August–September", None),
    "apple": ("4月苹果花，9–10月摘苹果", "apple blossom in April, apple picking in September–October", ("04-01", "11-15")),
    "citrus": ("3–5月黄果柑采摘", "huangguogan citrus picking, March–May", None),
}
# Invented village and road names for the illustrative addresses (no real addresses are known).
VILLAGES = (("团结", "Tuanjie"), ("新民", "Xinmin"), ("红星", "Hongxing"), ("永兴", "Yongxing"), ("幸福", "Xingfu"),
            ("双河", "Shuanghe"), ("和平", "Heping"), ("金星", "Jinxing"), ("富民", "Fumin"), ("柏香", "Baixiang"))
VILLAGE_NAMES = (  # invented names for the illustrative administrative villages
    ("团结", "Tuanjie"), ("新民", "Xinmin"), ("红星", "Hongxing"), ("永兴", "Yongxing"), ("幸福", "Xingfu"),
    ("双河", "Shuanghe"), ("和平", "Heping"), ("金星", "Jinxing"), ("富民", "Fumin"), ("柏香", "Baixiang"),
    ("桃园", "Taoyuan"), ("梨坪", "Liping"), ("椒林", "Jiaolin"), ("清水", "Qingshui"), ("青杠", "Qinggang"),
    ("长岭", "Changling"), ("石桥", "Shiqiao"), ("高坪", "Gaoping"), ("河坝", "Heba"), ("松林", "Songlin"),
    ("向阳", "Xiangyang"), ("丰收", "Fengshou"), ("堡子", "Baozi"), ("龙泉", "Longquan"), ("太平", "Taiping"),
    ("新华", "Xinhua"),
)
ROADS = (("梨花路", "Lihua Road"), ("果园路", "Guoyuan Road"), ("椒乡大道", "Jiaoxiang Avenue"),
         ("滨湖路", "Binhu Road"), ("古镇街", "Guzhen Street"))
COOPERATIVE_PREFIXES = (("丰源", "Fengyuan"), ("绿源", "Lüyuan"), ("金穗", "Jinsui"),
                        ("富民", "Fumin"), ("兴农", "Xingnong"), ("惠农", "Huinong"),
                        ("瑞丰", "Ruifeng"), ("康源", "Kangyuan"), ("恒丰", "Hengfeng"),
                        ("鑫农", "Xinnong"), ("天府", "Tianfu"), ("众诚", "Zhongcheng"))
ENTERPRISES = (
    ("汉源县椒乡食品有限公司", "Jiaoxiang Foods Co.", "sichuan_pepper", "qingxi"),
    ("汉源县花椒产业开发有限公司", "Hanyuan Pepper Industry Co.", "sichuan_pepper", "tangjia"),
    ("汉源县九襄梨业有限公司", "Jiuxiang Pear Co.", "pear", "jiuxiang"),
    ("汉源县双溪果业有限公司", "Shuangxi Fruit Co.", "peach", "shuangxi"),
    ("汉源县宜东果品有限公司", "Yidong Fruit Products Co.", "apple", "yidong"),
    ("汉源县大渡河柑橘有限公司", "Dadu River Citrus Co.", "citrus", "dashu"),
    ("汉源县湖畔超市有限公司", "Lakeside Supermarket Co.", "vegetables", "fulin"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
