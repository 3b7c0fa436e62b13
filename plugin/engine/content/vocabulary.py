"""Word lists the fact extraction and the guardrails read, in English and Chinese.

Lists, not models: a merchant can read why a rule fired, and adding a word is a
one-line change. Claim patterns are regular expressions matched case-insensitively.
"""

from __future__ import annotations


def _longest_first(*terms: str) -> tuple[str, ...]:
    return tuple(sorted(set(terms), key=len, reverse=True))


MATERIALS = _longest_first(
    "organic cotton", "recycled cotton", "pima cotton", "supima cotton", "egyptian cotton",
    "cotton jersey", "ringspun cotton", "cotton", "merino wool", "merino", "lambswool",
    "wool", "cashmere", "alpaca", "mohair", "silk", "linen", "flax", "hemp", "bamboo",
    "lyocell", "tencel", "modal", "viscose", "rayon", "recycled polyester", "polyester",
    "nylon", "recycled nylon", "polyamide", "elastane", "spandex", "lycra", "acrylic",
    "fleece", "denim", "canvas", "corduroy", "velvet", "suede", "full-grain leather",
    "vegan leather", "faux leather", "leather", "down", "goose down", "duck down",
    "stainless steel", "carbon steel", "steel", "cast iron", "iron", "aluminium", "aluminum",
    "titanium", "copper", "brass", "bronze", "silver", "sterling silver", "gold", "zinc",
    "carbon fibre", "carbon fiber", "glass", "borosilicate glass", "tempered glass",
    "ceramic", "porcelain", "stoneware", "earthenware", "clay", "marble", "granite",
    "concrete", "wood", "solid wood", "oak", "walnut", "beech", "pine", "teak", "acacia",
    "maple", "birch", "cherry wood", "plywood", "cork", "rattan", "wicker", "jute", "paper",
    "cardboard", "plastic", "ABS", "polypropylene", "polycarbonate", "silicone", "rubber",
    "natural rubber", "latex", "foam", "memory foam", "EVA", "PVC", "TPU", "gore-tex",
    "beeswax", "soy wax", "paraffin",
    # Chinese
    "有机棉", "纯棉", "棉", "精梳棉", "羊毛", "美利奴羊毛", "羊绒", "山羊绒", "真丝", "桑蚕丝",
    "丝绸", "亚麻", "麻", "竹纤维", "莫代尔", "天丝", "粘胶", "涤纶", "聚酯纤维", "再生涤纶",
    "尼龙", "锦纶", "氨纶", "腈纶", "抓绒", "牛仔布", "帆布", "灯芯绒", "天鹅绒", "麂皮",
    "真皮", "头层牛皮", "牛皮", "羊皮", "皮革", "人造革", "羽绒", "鹅绒", "鸭绒", "不锈钢",
    "碳钢", "钢", "铸铁", "铁", "铝合金", "铝", "钛合金", "钛", "铜", "黄铜", "纯银", "银",
    "黄金", "碳纤维", "玻璃", "高硼硅玻璃", "钢化玻璃", "陶瓷", "骨瓷", "瓷", "大理石",
    "实木", "木质", "木材", "橡木", "胡桃木", "榉木", "松木", "柚木", "竹", "软木", "藤",
    "纸", "塑料", "硅胶", "橡胶", "乳胶", "记忆棉", "海绵", "蜂蜡", "大豆蜡",
)

# Colours a rewrite may only name when the product's text or attributes do: a small
# model likes to add one ("comes in a vibrant shade of dark red"). Words with common
# other senses in product text (cream, chocolate, gold, silver, black coffee) are left
# to the other rules.
COLOURS = _longest_first(
    "red", "blue", "green", "yellow", "orange", "purple", "violet", "pink", "magenta",
    "brown", "grey", "gray", "beige", "navy", "teal", "turquoise", "maroon", "burgundy",
    "olive", "khaki", "charcoal", "lavender", "indigo", "crimson", "scarlet", "cyan",
    "coral", "mustard", "emerald", "sky blue", "navy blue", "royal blue", "baby blue",
    # Chinese
    "红色", "蓝色", "绿色", "黄色", "橙色", "紫色", "粉色", "粉红色", "棕色", "咖啡色",
    "灰色", "米色", "藏青色", "藏蓝色", "青色", "酒红色", "卡其色", "白色", "黑色",
)

CERTIFICATIONS = _longest_first(
    "GOTS", "OEKO-TEX", "Oeko-Tex", "STANDARD 100", "Standard 100", "bluesign", "Fairtrade", "Fair Trade",
    "FSC", "PEFC", "GRS", "RWS", "RDS", "USDA Organic", "EU Ecolabel", "Energy Star",
    "CE", "UKCA", "FCC", "UL", "ETL", "RoHS", "REACH", "FDA", "LFGB", "NSF", "BPA-free",
    "B Corp", "Cradle to Cradle", "Leaping Bunny", "Vegan Society", "Soil Association",
    "ECOCERT", "COSMOS", "Rainforest Alliance", "UTZ", "MSC", "Qi", "CCC", "3C", "CQC",
    "有机认证", "中国环境标志", "绿色食品", "国家标准", "国标", "欧盟认证",
)

# Claims a rewrite may only make when the source or attributes make them too.
# Each rule: the kind of claim, and the patterns that make it.
CLAIMS: dict[str, tuple[str, ...]] = {
    "price": (
        r"[$€£¥₹]\s?\d", r"\d\s?(?:usd|eur|gbp|pln|zł|rmb|cny|元|块|美元|欧元|英镑)",
        r"\bpric(?:e|ed|es|ing)\b", r"\bcosts? (?:only|just|less)\b", r"\baffordabl[ey]\b",
        r"\bfree shipping\b", r"\bfree delivery\b", r"价格", r"售价", r"仅售", r"包邮", r"免运费",
        r"只要\d", r"低价", r"便宜",
    ),
    "discount": (
        r"\bdiscount", r"\d+\s?% off\b", r"\b(?:on|for) sale\b", r"\bsale price\b", r"\bcoupon",
        r"\bpromo(?:tion|tional| code)?\b", r"\bclearance\b",
        r"\b(?:great|best|hot|special|exclusive) deals?\b", r"\bdeal of the\b", r"\bsave (?:up to )?\d",
        r"\bbuy one,? get\b", r"\blimited[- ]time\b", r"\bbargain", r"\bspecial offer\b",
        r"折扣", r"打折", r"\d折", r"优惠", r"促销", r"特价", r"满减", r"限时", r"秒杀", r"优惠券",
        r"买一送一", r"降价",
    ),
    "warranty": (
        r"\bwarrant(?:y|ies|ied)\b", r"\bguarantee[ds]?\b", r"\bmoney[- ]back\b", r"\brefund",
        r"\bfree returns?\b", r"\breturn policy\b",
        r"\blifetime (?:warranty|guarantee|repairs?|replacement)\b", r"保修", r"质保", r"品质保证",
        r"质量保证", r"保证退", r"保证正品",
        r"包退", r"包换", r"退款", r"无理由退", r"终身", r"售后",
    ),
    "certification": (
        r"\bcertifi(?:ed|cation|cations|cate)\b", r"\baccredited\b", r"\bcompliant\b",
        r"\bcomplies with\b", r"\bapproved\b", r"\bmeets? (?:the )?[\w-]*\s?standards?\b",
        r"\blab[- ]tested\b", r"\bclinically\b", r"认证", r"符合.{0,12}标准", r"检测合格", r"质检",
        r"达标",
    ),
    "health": (
        r"\bcures?\b", r"\bheal(?:s|ing)?\b", r"\btreatment\b",
        r"\btreats? (?:acne|eczema|pain|allerg\w*|infections?|insomnia|arthritis|symptoms)\b", r"\btherap(?:y|eutic)\b",
        r"\bmedical(?:ly)?\b", r"\bclinical(?:ly)?\b", r"\bdoctors?\b", r"\bdermatologi",
        r"\bhypoallergenic\b", r"\banti-?bacterial\b", r"\banti-?microbial\b", r"\bantiviral\b",
        r"\bimmun(?:e|ity)\b", r"\bdetox", r"\bpain relief\b", r"\brelieves?\b", r"\bprevents? (?:disease|illness|cancer|infection)",
        r"\bdiseases?\b", r"\bcancer\b", r"\ballerg(?:y|ies|ic)\b", r"\beczema\b", r"\banxiety\b",
        r"\bweight loss\b", r"\blose weight\b", r"\bburns? fat\b", r"\bboosts? (?:your )?(?:health|energy|metabolism)",
        r"\bhealth(?:ier|y)? benefits?\b", r"\binsomnia\b", r"\bcholesterol\b", r"\bblood pressure\b",
        r"治疗", r"治愈", r"医疗", r"医用", r"药", r"抗菌", r"杀菌", r"抑菌", r"防过敏", r"抗过敏",
        r"低敏", r"减肥", r"瘦身", r"排毒", r"免疫", r"缓解", r"疗效", r"保健", r"养生", r"祛", r"疾病",
        r"癌", r"失眠", r"血压",
    ),
    "superlative": (
        r"\bbest\b", r"#\s?1\b", r"\bno\.? ?1\b", r"\bnumber one\b", r"\bcheapest\b",
        r"\bgreatest\b", r"\bfinest\b", r"\btop[- ]rated\b", r"\bworld'?s\b", r"\bultimate\b",
        r"\bunbeatable\b", r"\bunmatched\b", r"\bunrivall?ed\b", r"\bworld[- ]class\b",
        r"\boptimal\b", r"\bunparall?ell?ed\b", r"\bsuperior\b", r"\bincomparable\b", r"\bsecond to none\b",
        r"\bbest[- ]in[- ]class\b", r"\blike no other\b", r"\bindustry[- ]leading\b", r"\bmarket[- ]leading\b", r"\bbest[- ]selling\b",
        r"\bbestsell", r"\bthe most (?!of\b)\w+", r"\bever made\b",
        r"\bthe (?!(?:chest|rest|test|nest|vest|west|forest|interest|harvest|request|guest|quest|crest|contest|protest|latest)\b)\w{3,}est\b",
        r"最(?!多|少|后|近|初|终|大|小|高|低)", r"最[大小高低](?![^，。,.\d]{0,6}\d)",
        r"第一(?!次|步|天|眼|层|件)", r"顶级", r"极致", r"首选", r"世界级", r"唯一", r"全网", r"冠军",
        r"绝对", r"无敌", r"独一无二", r"史上", r"王者", r"领先",
        # Prestige and absolute claims: a quality or a permanence the source never claims.
        r"\bluxur(?:y|ious(?:ly)?)\b", r"\bpremium\b", r"\bhigh[- ]end\b", r"\bprestigious\b",
        r"\bflawless(?:ly)?\b", r"\bperfect(?:ly)?\b", r"\balways\b", r"\bforever\b",
        r"\bnever (?:fades?|wears?|breaks?|tears?|shrinks?|sags?|fails?|loses?)\b",
        r"奢华", r"高端", r"完美", r"永远", r"永不",
        # Comparisons with everything else on the market, as a class.
        r"\bno (?:other|one else)\b[^.!?]{0,40}\b(?:compete|compares?|match(?:es)?|beats?|rivals?|touch(?:es)?|comes? close)\b",
        r"\b(?:cannot|can't|can not|won't) be (?:beaten|matched|topped|surpassed|equall?ed|compared)\b",
        r"\bnothing (?:else )?(?:compares|comes close|beats)\b", r"\bunlike any other\b",
        r"\bin a (?:class|league) of (?:its|their) own\b", r"\bunequall?ed\b", r"\bunsurpassed\b",
        r"\bpeerless\b", r"\bmatchless\b", r"\boutperform", r"\bcompetitors?\b",
        r"\bbetter than (?:any|all|every|the rest|the competition|others?|ever)\b",
        r"\bbeats? (?:the competition|all|every|any)\b", r"\b(?:leads?|leading) the (?:market|industry|pack|field)\b",
        r"\bahead of the (?:competition|rest|pack)\b", r"\bonly (?:brand|one|product) (?:that|to|which)\b",
        r"无与伦比", r"无可比拟", r"无人能及", r"无可匹敌", r"难以超越", r"不可替代", r"媲美", r"碾压", r"完胜",
        r"天花板", r"胜过(?:所有|一切|其他|同类)", r"超越(?:所有|一切|同类|其他)",
        r"没有(?:任何)?(?:其他|别的)?(?:品牌|产品|对手)?(?:能|可以|可)(?:比|与之相比|媲美|匹敌|超越|相提并论)",
    ),
    "feature": (
        r"\bwaterproof\b", r"\bwater[- ]resistant\b", r"\bwindproof\b", r"\bfireproof\b",
        r"\bflame[- ]retardant\b", r"\bstain[- ]resistant\b", r"\bwrinkle[- ]free\b",
        r"\bnon[- ]iron\b", r"\bnon[- ]stick\b", r"\bdishwasher[- ]safe\b", r"\bmicrowave[- ]safe\b",
        r"\bmachine[- ]washable\b", r"\bshockproof\b", r"\bscratch[- ]resistant\b",
        r"\banti[- ]slip\b", r"\bnon[- ]slip\b", r"\bUV[- ]protect", r"\bUPF\b", r"\bSPF\b",
        r"\beco[- ]friendly\b", r"\bsustainabl[ey]\b", r"\bbiodegradable\b", r"\brecyclable\b",
        r"\bcompostable\b", r"\bvegan\b", r"\bcruelty[- ]free\b", r"\bhand[- ]?made\b",
        r"\bhandcrafted\b", r"\borganic\b", r"\ball[- ]natural\b", r"\bnon[- ]toxic\b", r"\bbpa[- ]free\b",
        r"\bgluten[- ]free\b", r"\bsugar[- ]free\b", r"\bwireless\b", r"\bbluetooth\b",
        r"\brechargeable\b", r"\binsulated\b", r"\bpatent",
        r"防水", r"防风", r"防晒", r"防紫外线", r"防污", r"免烫", r"不粘", r"可机洗", r"环保",
        r"可降解", r"手工", r"有机", r"天然", r"无毒", r"防摔", r"防滑", r"无线", r"蓝牙", r"专利",
        r"可回收", r"保温",
    ),
}

# A sentence addressed to a model rather than a shopper, hidden in a description.
INJECTION_PATTERNS = (
    r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|prompts?|rules?|directions|guidelines|above|previous|prior|everything)\b",
    r"\byou are (?:now )?(?:an? |the )?(?:ai|assistant|model|chatbot|language model|copywriter|gpt)\b",
    r"\b(?:system|new|additional|hidden) (?:prompt|instructions?)\b",
    r"\b(?:assistant|ai|chatbot|llm|gpt)\s*:",
    r"忽略.{0,10}(?:指令|指示|说明|要求|提示|规则|内容)",
    r"(?:无视|不要理会|忘记).{0,10}(?:指令|指示|说明|要求|提示|规则)",
    r"你(?:现在)?是一?个?(?:AI|人工智能|助手|模型|机器人|文案)",
    r"系统提示", r"新的?指令",
)
# Imperatives addressed to a writer, hidden in a description: with what to write after
# them ("write that ...", "say 'X'", "写上：...").
COMMAND_PATTERNS = (
    r"(?:^|[.!?]\s+)(?:instead,?\s+|now,?\s+|please,?\s+|also,?\s+)?(?:write|say|output|respond|reply|print|state|claim|mention|include|add)\s*(?:that\b|with\b|the (?:words?|phrase|sentence|text)\b|[:\"'“‘])",
    r"\b(?:tell (?:everyone|customers|shoppers|readers|the reader)|call (?:it|this product)|describe (?:it|this product) as)\b",
    r"(?:^|[。！？，,])(?:请|务必|必须)?(?:改为|改成|直接)?(?:写上?|输出|回复|声称|注明|加上|添加|宣称|告诉顾客)\s*[：:“\"「']",
)

# Words an assistant says about itself or the task, never a product description.
ASSISTANT_PATTERNS = (
    r"\bas an (?:ai|artificial intelligence|assistant|language model)\b",
    r"\b(?:i am|i'm) (?:an? )?(?:ai|assistant|language model|smollm)\b", r"\blanguage model\b",
    r"\bi(?:'m| am) sorry\b", r"\bi (?:cannot|can't|can not|won't|will not)\b",
    r"\b(?:sure|certainly|of course)[,!.]", r"\bhere(?:'s| is) (?:the|a|an|your|my)\b",
    r"\b(?:rewritten|revised|improved|updated|new) (?:product )?(?:description|text|version)\b",
    r"\boriginal (?:product )?(?:description|text)\b", r"\b(?:the )?text (?:above|below)\b",
    r"\bi hope (?:this|that)\b", r"\blet me know\b",
    r"\b(?:user|assistant|system)\s*:", r"<\|im_(?:start|end)\|>", r"\binstructions?\b",
    r"\bprompt\b", r"\bmarker", r"<<<|>>>",
    r"作为一?个?(?:AI|人工智能|语言模型|助手)", r"以下是", r"^好的", r"^当然", r"抱歉", r"我无法",
    r"我不能", r"改写后", r"原文", r"描述如下", r"指令", r"提示词",
    # The task itself: labels, the writer addressed, words about descriptions, facts
    # and responses, length and format demands.
    r"(?m)^\s*(?:text|content|output|answer|response|result|description|product description|"
    r"reworded|rewritten|rephrased|paraphrased|revised(?: \w+)?|rewrite|summary|input)\s*(?::|>>|$)",
    r"\b(?:reworded|rewritten|rephrased|paraphrased|output|answer|response)\s*:",
    r"\b[a-z]+_[a-z_]+\b", r"\b(?:your|the|this|my) (?:response|answer|reply|output)\b",
    r"\b(?:product )?descriptions?\b",
    r"\b(?:the|these|those|following|given|above|below) facts?\b|\bfacts? (?:above|below|given|provided|listed)\b|\bfact set\b",
    r"\b(?:you are|you're|you were|i am|i was|i have been) (?:asked|told|instructed|requested|required) to\b",
    r"\b(?:finish|complete|continue|rewrite|rephrase|paraphrase|summari[sz]e|translate|reword)\s+(?:this|the|that|your)\b",
    r"\b(?:do not|don't|never) (?:copy|paraphrase|follow|invent|repeat|rewrite)\b",
    r"\b(?:at least|at most|no more than|exactly|up to)\s+(?:\S+\s+)?(?:words|sentences|paragraphs|characters|citations|bullet points|tokens)\b",
    r"\bcitations?\b", r"\bpostscript\b", r"\bkeywords?\b", r"\bmarkdown\b", r"\bplaceholders?\b",
    r"\bin (?:a )?(?:table|list|bullet) format\b",
    r"(?m)^\s*(?:改写|重写|输出|回答|答案|描述|正文|内容|文本|商品描述|产品描述)\s*[：:]",
    r"你的(?:回答|回复|输出|描述|文案)", r"(?:以上|上述|下面|下述|给定|提供)的?(?:事实|信息|资料)",
    r"(?:至少|不少于|不超过)\s*\S{0,3}(?:个字|字|句话?|段)", r"(?:续写|改写|重写|润色|照抄)",
    r"(?:商品|产品)描述",
)

# Words any description may use without the source saying them: function words,
# connectives, and mild, factless marketing words ("stylish", "comes in a range of").
# A candidate's other words must come from the source, the product's name, category or
# attributes (the grounding rule); words that state something checkable (luxury,
# award-winning, handmade, waterproof) are deliberately absent.
GENERIC_WORDS = frozenset("""
a an the this that these those it its it's they them their there here this's
i me my we us our ours you your yours he she his her one ones someone anyone everyone
is are was were be been being am do does did done doing have has had having
will would shall should can could may might must
and or but nor so yet as than then too also either neither both each every all any
some many much more most few less lot lots such same other another own just only even
very really quite rather pretty so well still again already always often ever never not
no yes
of to in on at by for with from into onto over under up down out off about above below
between through throughout around across along among within without against toward
towards after before during until since while when where whenever wherever why how what
which who whom whose whether if because though although unless
like plus per via
get gets got getting make makes made making take takes taking give gives giving
go goes going went come comes came coming keep keeps kept let lets put puts
hold holds held fit works work see sees look looks looking feel feels feeling find finds use uses used using
need needs want wants choose chooses pick add adds adding bring brings brought
offer offers offering offered provide provides providing feature features featuring
featured include includes including included available comes
design designs designed style styles styled styling look looks
new simple classic modern stylish smart elegant timeless versatile practical
comfortable comfort comfy easy easily great good nice perfect ideal beautiful lovely
fresh cool fun everyday daily casual favourite favorite essential must-have
range variety choice choices option options selection different various several
colour colours color colors shade shades tone tones size sizes fit fits finish
material materials detail details piece pieces item items product products
way ways thing things something everything anything nothing time times day days
whatever whoever however also overall truly simply really just
ready today now
""".split())

GENERIC_HAN = frozenset(
    "的了是在和与及或也都很更这那此其该款件个种只把被让使给为以于从到向对就而且并但却又还"
    "所有不能可会要将着过等您你我们他她它之上下中里外多少好新大小"
    "设计风格时尚舒适简约经典百搭日常穿着搭配选择颜色尺码材质款式适合喜欢带来享受感觉"
    "一个些每各种样式让您为您打造提供拥有采用选用"
)
