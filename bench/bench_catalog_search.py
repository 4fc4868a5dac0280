"""Catalog full-text search with facets: the tantivy index against a naive SQL scan.

Generates a synthetic national catalog (deterministic seed; Chinese names from
real department, resource and information-item vocabularies, regions from all
31 provinces), builds the index with ``CatalogIndex.rebuild`` and, as the
baseline, a SQLite table of the same entries searched with ``LIKE '%word%'``
on each query word plus ``GROUP BY`` facet counts over the matches. Runs a
fixed set of queries in alternation and prints latencies and ratios.

    .venv/bin/python -m bench.bench_catalog_search --entries 300000
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from govdata.catalog.codes import parse_classification
from govdata.catalog.search.index import CatalogIndex
from govdata.catalog.search.mapping import region_level
from govdata.catalog.search.model import (
    FACET_NAMES,
    FacetName,
    RegionLevel,
    SearchDocument,
    SearchQuery,
)
from govdata.catalog.search.tokenize import query_words

T = TypeVar("T")

TARGET_ENTRIES = 3_000_000
TARGET_P95_MS = 50.0
TARGET_RATIO = 20.0

# --- the vocabulary ----------------------------------------------------------

# Each province with some of its prefecture-level cities (code:name); a
# municipality's city level has no name of its own.
REGIONS = """
110000 北京市 110100:
120000 天津市 120100:
130000 河北省 130100:石家庄市 130200:唐山市 130400:邯郸市 130600:保定市 131000:廊坊市
140000 山西省 140100:太原市 140200:大同市 140800:运城市
150000 内蒙古自治区 150100:呼和浩特市 150200:包头市 150400:赤峰市 150600:鄂尔多斯市
210000 辽宁省 210100:沈阳市 210200:大连市 210300:鞍山市
220000 吉林省 220100:长春市 220200:吉林市
230000 黑龙江省 230100:哈尔滨市 230200:齐齐哈尔市 230600:大庆市
310000 上海市 310100:
320000 江苏省 320100:南京市 320200:无锡市 320400:常州市 320500:苏州市 320600:南通市
330000 浙江省 330100:杭州市 330200:宁波市 330300:温州市 330700:金华市
340000 安徽省 340100:合肥市 340200:芜湖市
350000 福建省 350100:福州市 350200:厦门市 350500:泉州市
360000 江西省 360100:南昌市 360700:赣州市
370000 山东省 370100:济南市 370200:青岛市 370600:烟台市 370700:潍坊市
410000 河南省 410100:郑州市 410300:洛阳市 410700:新乡市
420000 湖北省 420100:武汉市 420500:宜昌市 420600:襄阳市
430000 湖南省 430100:长沙市 430200:株洲市 430300:湘潭市
440000 广东省 440100:广州市 440300:深圳市 440400:珠海市 440600:佛山市 441900:东莞市
450000 广西壮族自治区 450100:南宁市 450200:柳州市 450300:桂林市
460000 海南省 460100:海口市 460200:三亚市
500000 重庆市 500100:
510000 四川省 510100:成都市 510700:绵阳市 511300:南充市
520000 贵州省 520100:贵阳市 520300:遵义市
530000 云南省 530100:昆明市 530300:曲靖市
540000 西藏自治区 540100:拉萨市
610000 陕西省 610100:西安市 610300:宝鸡市 610400:咸阳市
620000 甘肃省 620100:兰州市 620200:嘉峪关市
630000 青海省 630100:西宁市
640000 宁夏回族自治区 640100:银川市
650000 新疆维吾尔自治区 650100:乌鲁木齐市 650200:克拉玛依市
"""
_COUNTIES = """
城关区 新华区 桥西区 长安区 鼓楼区 和平区 城中区 西湖区 江北区 南山区 高新区 海淀区 朝阳区
滨海新区 浦东新区 渝中区 青羊区 武侯区 天河区 越秀区 雨花区 岳麓区 金水区 历下区 市中区 铁西区
南岗区 思明区 仓山区 东湖区 洪山区 江岸区 秀英区 兴庆区 天山区 正定县 永清县 安吉县 德清县
长兴县 桐庐县 淳安县 平阳县 苍南县 文成县 武义县 浦江县 昌黎县 临朐县 沂水县 固安县 蒙城县
宁化县 兴国县 石门县 宾阳县 仁寿县 湄潭县 宾川县 岐山县 榆中县 湟源县 贺兰县 玛纳斯县
"""
COUNTY_NAMES = _COUNTIES.split()

# Information items by the kind of record a resource holds.
ITEMS = """
person: 姓名 性别 民族 出生日期 公民身份号码 户籍地址 现住址 联系电话 婚姻状况 文化程度
enterprise: 统一社会信用代码 企业名称 法定代表人 注册资本 成立日期 登记机关 经营范围 住所
    企业类型 登记状态 核准日期
org: 机构名称 统一社会信用代码 法定代表人 登记管理机关 业务主管单位 成立日期 地址 联系电话 机构类型
property: 不动产单元号 权利人 权利人证件号码 坐落 宗地面积 房屋面积 用途 权利类型 权利性质
    登记时间 不动产权证书号
license: 许可证编号 持证单位 统一社会信用代码 许可事项 有效期起始日期 有效期截止日期 发证机关
    发证日期 许可状态
insurance: 姓名 公民身份号码 险种类型 参保单位 参保日期 缴费基数 缴费月数 参保状态 个人编号
medical: 机构名称 统一社会信用代码 执业许可证号 机构类别 诊疗科目 床位数 法定代表人 地址 有效期
doctor: 姓名 公民身份号码 医师资格证书编码 执业类别 执业范围 执业地点 注册日期 执业机构
birth: 新生儿姓名 性别 出生日期 出生地点 母亲姓名 母亲公民身份号码 父亲姓名 出生医学证明编号
vehicle: 号牌号码 号牌种类 车辆识别代号 车辆品牌 车身颜色 机动车所有人 初次登记日期 检验有效期
    发动机号
driver: 姓名 公民身份号码 驾驶证号 准驾车型 初次领证日期 有效期限 发证机关 驾驶证状态
land: 图斑编号 地类名称 地类编码 权属单位 面积 坐落单位名称 数据年份 行政区划代码
environment: 排污单位名称 统一社会信用代码 排污许可证编号 行业类别 主要污染物 排放方式 有效期
    排放口数量
monitoring: 监测站点 监测时间 监测项目 监测值 计量单位 经度 纬度 行政区划代码
tax: 纳税人识别号 纳税人名称 登记注册类型 主管税务机关 纳税信用等级 评价年度 经营地址
education: 学生姓名 学籍号 公民身份号码 学校名称 年级 班级 入学日期 学历层次 毕业日期
welfare: 姓名 公民身份号码 救助类型 保障金额 发放日期 家庭人口数 所属社区 审批日期
marriage: 登记机关 登记日期 男方姓名 女方姓名 男方公民身份号码 女方公民身份号码 登记类型
    结婚证字号
project: 项目名称 项目代码 建设单位 建设地点 总投资 审批文号 审批日期 建设规模 项目状态
statistics: 指标名称 统计周期 统计口径 指标数值 计量单位 数据来源 行政区划代码 统计时间
credit: 主体名称 统一社会信用代码 处罚事由 处罚决定书文号 处罚机关 处罚日期 处罚结果
price: 商品名称 规格等级 计量单位 价格 监测日期 监测点
settlement: 姓名 公民身份号码 就诊机构 就诊日期 医疗费用总额 统筹基金支付 个人自付 结算日期
lawyer: 姓名 执业证号 执业机构 执业类别 首次执业日期 执业状态
"""
COMMON_ITEMS = ("数据更新时间", "数据来源单位", "备注")

# Each department (provincial name, local name), then its resources as
# name:类+项 classifications it may be filed under:item kind:weight.
DEPARTMENTS = """
公安厅 公安局
    居民户籍信息:101,307:person:10 人口基本信息:101:person:10 居民身份证信息:105,101:person:10
    机动车登记信息:307:vehicle:10 机动车驾驶证信息:105,307:driver:10
    流动人口居住登记信息:101,210:person:6
市场监督管理局 市场监督管理局
    企业登记信息:102:enterprise:10 企业营业执照信息:105,102:enterprise:10
    个体工商户登记信息:102:enterprise:8 食品经营许可信息:204,105:license:8
    特种设备使用登记信息:205:license:5 行政处罚信息:104,208:credit:8
    企业年度报告信息:102,208:enterprise:6
人力资源和社会保障厅 人力资源和社会保障局
    社会保险参保信息:203:insurance:10 养老保险缴费信息:203:insurance:10
    失业保险金发放信息:203:insurance:6 就业登记信息:201,307:person:8
    职业资格证书信息:105,201:person:6 工伤认定信息:203:insurance:4
自然资源厅 自然资源局
    不动产登记信息:103:property:10 土地利用现状信息:103:land:8 国土空间规划信息:103,209:land:5
    建设用地审批信息:103,209:project:6 矿业权登记信息:103,207:license:3
    基础测绘成果信息:103:land:4
卫生健康委员会 卫生健康委员会
    医疗机构执业许可信息:202,105:medical:10 医师执业注册信息:202:doctor:8
    出生医学证明信息:101,202:birth:8 预防接种信息:202:person:6 护士执业注册信息:202:doctor:6
    传染病疫情报告信息:202,212:statistics:3
民政厅 民政局
    婚姻登记信息:101,201:marriage:10 社会组织登记信息:102:org:8 最低生活保障信息:203:welfare:8
    特困人员救助供养信息:203:welfare:5 养老机构备案信息:201,203:org:4 殡葬服务信息:201:welfare:1
教育厅 教育局
    学生学籍信息:201:education:10 学校基本信息:201,102:org:6 教师资格证书信息:105,201:person:6
    学历学位信息:201:education:5
住房和城乡建设厅 住房和城乡建设局
    建筑业企业资质信息:209,105:license:8 商品房预售许可信息:209:license:6
    房屋网签备案信息:209:property:8 建设工程施工许可信息:209,105:project:8
    住房公积金缴存信息:203,209:insurance:8
交通运输厅 交通运输局
    道路运输经营许可信息:105,307:license:8 营运车辆信息:307:vehicle:8
    道路运输从业人员资格信息:105:person:6 公路养护工程信息:209:project:4
生态环境厅 生态环境局
    排污许可信息:211,105:environment:10 环境影响评价审批信息:211:project:8
    空气质量监测信息:211:monitoring:8 环境行政处罚信息:211,104:credit:5
税务局 税务局
    纳税人登记信息:102,104:tax:10 纳税信用等级信息:104,208:tax:8 欠税公告信息:104:tax:2
农业农村厅 农业农村局
    农村土地承包经营权信息:103:property:8 农药经营许可信息:204,105:license:5
    动物防疫条件合格证信息:204,105:license:4 农业经营主体信息:102:enterprise:6
医疗保障局 医疗保障局
    医疗保险参保信息:203,202:insurance:10 定点医药机构信息:202:medical:6
    医疗费用结算信息:202,203:settlement:8
司法厅 司法局
    律师执业信息:105,307:lawyer:8 公证机构信息:102,307:org:4 人民调解案件信息:210:statistics:5
应急管理厅 应急管理局
    安全生产许可信息:205,105:license:8 危险化学品经营许可信息:205,105:license:6
    自然灾害灾情信息:212:statistics:5 生产安全事故信息:205,212:statistics:5
统计局 统计局
    国民经济主要指标信息:201,307:statistics:8 人口抽样调查信息:101:statistics:5
发展和改革委员会 发展和改革局
    投资项目审批信息:209,307:project:8 公共信用信息:104,208:credit:8
    重要商品价格监测信息:206:price:6 能源消费统计信息:207:statistics:5
水利厅 水利局
    取水许可信息:211,105:license:6 水利工程基本信息:209,212:project:6
    水文监测信息:212:monitoring:5
林业和草原局 林业和草原局
    林木采伐许可信息:211,105:license:1 林权登记信息:103:property:4
退役军人事务厅 退役军人事务局
    退役军人信息:101,307:person:6 优抚对象抚恤补助信息:203:welfare:4
文化和旅游厅 文化和旅游局
    旅行社经营许可信息:105,201:license:5 A级旅游景区信息:201:org:4
"""
NAME_SUFFIXES = ("", "", "", "", "", "（年度）", "统计", "变更记录", "汇总", "明细", "查询")
PURPOSES = (
    "政务服务“一网通办”",
    "跨部门业务协同",
    "事中事后监管",
    "基层社会治理",
    "统计分析和决策支持",
    "社会信用体系建设",
    "便民利企服务",
    "应急处置和风险预警",
)
SHARE_TYPES = (("unconditional", 5), ("conditional", 4), ("none", 1))
OPEN_TYPES = (("unconditional", 15), ("conditional", 25), ("none", 60))
GRADES = (
    ("general_1", 20), ("general_2", 30), ("general_3", 20), ("general_4", 8),
    ("important", 6), ("core", 1), (None, 15),
)  # fmt: skip
UPDATE_CYCLES = (
    ("realtime", 10), ("daily", 25), ("weekly", 5), ("monthly", 20), ("quarterly", 8),
    ("semiannual", 2), ("annual", 20), ("irregular", 10),
)  # fmt: skip


@dataclass(frozen=True)
class Resource:
    name: str
    classifications: tuple[str, ...]
    items: tuple[str, ...]


@dataclass(frozen=True)
class Provider:
    provider_id: str
    place: str
    name: str
    region_codes: tuple[str, ...]
    resources: tuple[Resource, ...]
    weights: tuple[int, ...]


def _records(text: str) -> list[list[str]]:
    """The words of each line of a vocabulary block, indented lines continuing the last."""
    records: list[list[str]] = []
    for line in text.strip().splitlines():
        if line.startswith(" "):
            records[-1] += line.split()
        else:
            records.append(line.split())
    return records


def _departments() -> list[tuple[str, str, tuple[Resource, ...], tuple[int, ...]]]:
    items = {kind.rstrip(":"): tuple(names) for kind, *names in _records(ITEMS)}
    departments = []
    for provincial, local, *specs in _records(DEPARTMENTS):
        resources, weights = [], []
        for spec in specs:
            name, classifications, kind, weight = spec.split(":")
            for prefix in classifications.split(","):
                parse_classification(prefix)  # the vocabulary must stay valid
            resources.append(Resource(name, tuple(classifications.split(",")), items[kind]))
            weights.append(int(weight))
        departments.append((provincial, local, tuple(resources), tuple(weights)))
    return departments


def providers(rng: random.Random) -> dict[RegionLevel, list[Provider]]:
    """Every department at every level of every region, by level."""
    by_level: dict[RegionLevel, list[Provider]] = {"province": [], "city": [], "county": []}
    departments = _departments()

    def add(level: RegionLevel, codes: tuple[str, ...], place: str) -> None:
        for number, (provincial, local, resources, weights) in enumerate(departments):
            department = provincial if level == "province" else local
            provider_id = f"org-{codes[-1]}-{number:02d}"
            by_level[level].append(
                Provider(provider_id, place, place + department, codes, resources, weights)
            )

    for province_code, province_name, *cities in _records(REGIONS):
        add("province", (province_code,), province_name)
        for city in cities:
            city_code, city_name = city.split(":")
            if city_name:  # a municipality has no city-level departments of its own
                add("city", (province_code, city_code), city_name)
            for number in range(1, rng.randint(3, 9)):
                county_code = f"{city_code[:4]}{number:02d}"
                place = (city_name or province_name) + rng.choice(COUNTY_NAMES)
                add("county", (province_code, city_code, county_code), place)
    return by_level


def _weighted(rng: random.Random, options: tuple[tuple[T, int], ...]) -> T:
    return rng.choices([value for value, _ in options], [weight for _, weight in options])[0]


@dataclass
class CatalogStats:
    entries: int = 0
    items: int = 0
    providers: int = 0
    seconds: float = 0.0
    sample_resource_code: str = ""


def generate(
    entries: int, seed: int, stats: CatalogStats | None = None
) -> Iterator[SearchDocument]:
    """A deterministic synthetic national catalog of ``entries`` entries."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible catalog, not a secret
    by_level = providers(rng)
    levels: tuple[tuple[RegionLevel, int], ...] = (("province", 10), ("city", 35), ("county", 55))
    sequences: dict[str, int] = {}
    first_day = date(2019, 1, 1)
    if stats is not None:
        stats.providers = sum(len(group) for group in by_level.values())
    for number in range(entries):
        started = time.perf_counter()
        provider = rng.choice(by_level[_weighted(rng, levels)])
        resource = rng.choices(provider.resources, provider.weights)[0]
        name = provider.place + resource.name + rng.choice(NAME_SUFFIXES)
        count = max(2, min(len(resource.items), round(rng.gauss(6, 2))))
        items = rng.sample(resource.items, count) + rng.sample(COMMON_ITEMS, rng.randint(0, 2))
        classification = rng.choice(resource.classifications) + f"{rng.randint(1, 30):03d}"
        if rng.random() < 0.3:
            classification += f"{rng.randint(1, 20):03d}"
        sequences[classification] = sequences.get(classification, 0) + 1
        cycle = _weighted(rng, UPDATE_CYCLES)
        abstract = (
            f"{provider.name}在履行职责中形成的{resource.name}，包括{'、'.join(items[:3])}"
            f"等{len(items)}个信息项，用于{rng.choice(PURPOSES)}。"
        )
        document = SearchDocument(
            entry_id=f"entry-{number:08d}",
            resource_code=f"{classification}/{sequences[classification]:06d}",
            name=name,
            abstract=abstract,
            item_names=tuple(items),
            provider_id=provider.provider_id,
            provider_name=provider.name,
            region_codes=provider.region_codes,
            classification_code=classification,
            share_type=_weighted(rng, SHARE_TYPES),
            open_type=_weighted(rng, OPEN_TYPES),
            grade=_weighted(rng, GRADES),
            update_cycle=cycle,
            publish_date=first_day + timedelta(days=rng.randint(0, 2500)),
        )
        if stats is not None:
            stats.entries += 1
            stats.items += len(items)
            stats.seconds += time.perf_counter() - started
            stats.sample_resource_code = stats.sample_resource_code or document.resource_code
        yield document


# --- the baseline: a SQLite table scanned with LIKE ---------------------------

_BASELINE_SCHEMA = """
CREATE TABLE entries (
    id INTEGER PRIMARY KEY, entry_id TEXT, resource_code TEXT, name TEXT, abstract TEXT,
    items TEXT, provider_name TEXT, province TEXT, city TEXT, county TEXT, department TEXT,
    classification TEXT, classification_code TEXT, share_type TEXT, open_type TEXT,
    grade TEXT, update_cycle TEXT
)
"""
_FACET_COLUMNS = (
    "province", "city", "county", "department", "classification", "share_type", "open_type",
    "grade", "update_cycle",
)  # fmt: skip


def load_baseline(path: Path, documents: Iterable[SearchDocument]) -> sqlite3.Connection:
    """The same entries as one table, facet columns indexed."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA cache_size = -1000000")
    connection.execute("PRAGMA mmap_size = 17179869184")
    connection.execute(_BASELINE_SCHEMA)
    batch: list[tuple[str | None, ...]] = []
    insert = f"INSERT INTO entries VALUES (NULL{', ?' * 16})"  # noqa: S608 - placeholders only
    for doc in documents:
        regions = (*doc.region_codes, None, None, None)[:3]
        batch.append(
            (doc.entry_id, doc.resource_code, doc.name, doc.abstract, "\n".join(doc.item_names),
             doc.provider_name, *regions, doc.provider_id, doc.classification_code[:3],
             doc.classification_code, doc.share_type, doc.open_type, doc.grade, doc.update_cycle)
        )  # fmt: skip
        if len(batch) >= 10_000:
            connection.executemany(insert, batch)
            batch.clear()
    connection.executemany(insert, batch)
    for column in _FACET_COLUMNS:
        connection.execute(f"CREATE INDEX entries_{column} ON entries ({column})")
    connection.commit()
    return connection


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _baseline_where(query: SearchQuery) -> tuple[str, list[str]]:
    """Every query word as a substring of some text column (or the exact resource
    code), every filter as ``IN``: the index's semantics, as far as LIKE allows."""
    clauses, params = [], []
    for word in query_words(query.text):
        text = " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in ("name", "abstract", "items"))
        clauses.append(f"({text} OR provider_name LIKE ? ESCAPE '\\' OR resource_code = ?)")
        params += [_like(word)] * 4 + [word]
    for facet, values in query.filters.items():
        if facet == "region":
            by_column: dict[str, list[str]] = {}
            for code in values:
                by_column.setdefault(region_level(code), []).append(code)
            either = [f"{c} IN ({', '.join('?' * len(v))})" for c, v in by_column.items()]
            clauses.append(f"({' OR '.join(either)})")
            params += [code for codes in by_column.values() for code in codes]
        elif facet == "classification":
            clauses.append(f"({' OR '.join(['classification_code LIKE ?'] * len(values))})")
            params += [f"{value}%" for value in values]
        else:
            column = "department" if facet == "department" else facet
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params += list(values)
    return " AND ".join(clauses) or "1", params


def baseline_search(connection: sqlite3.Connection, query: SearchQuery) -> int:
    """Total, one page and every facet's counts, as a plain SQL application would."""
    where, params = _baseline_where(query)
    connection.execute("DROP TABLE IF EXISTS temp.matched")
    connection.execute(f"CREATE TEMP TABLE matched AS SELECT id FROM entries WHERE {where}", params)  # noqa: S608
    total = int(connection.execute("SELECT count(*) FROM matched").fetchone()[0])
    joined = "FROM matched JOIN entries USING (id)"
    connection.execute(
        f"SELECT entry_id, resource_code, name, provider_name {joined} LIMIT ? OFFSET ?",
        (query.limit, query.offset),
    ).fetchall()
    for facet in query.facets:
        column = query.region_level if facet == "region" else facet
        connection.execute(
            f"SELECT {column}, count(*) AS n {joined} WHERE {column} IS NOT NULL "
            "GROUP BY 1 ORDER BY n DESC LIMIT ?",
            (query.facet_size,),
        ).fetchall()
    return total


# --- the queries ----------------------------------------------------------------


@dataclass(frozen=True)
class BenchQuery:
    label: str
    query: SearchQuery
    # Whether LIKE must find exactly what the index finds: not when a query word
    # is a single character, which the index matches only as a word of its own.
    must_agree: bool = True


def bench_queries(sample_resource_code: str) -> list[BenchQuery]:
    def q(text: str, level: RegionLevel = "province", **filters: tuple[str, ...]) -> SearchQuery:
        chosen: dict[FacetName, tuple[str, ...]] = {}
        for facet, values in filters.items():
            assert facet in FACET_NAMES, facet  # noqa: S101 - a typo in this table
            chosen[facet] = values
        return SearchQuery(text=text, filters=chosen, region_level=level)

    return [
        BenchQuery("one word", q("营业执照")),
        BenchQuery("word inside a word", q("执照")),
        BenchQuery("word inside a word", q("身份证")),
        BenchQuery("one word", q("不动产")),
        BenchQuery("one word", q("社会保险")),
        BenchQuery("word across words", q("社会保障")),
        BenchQuery("two words", q("医疗机构 执业")),
        BenchQuery("two words", q("企业登记")),
        BenchQuery("place and word", q("杭州 参保", "city")),
        BenchQuery("very common word", q("信息")),
        BenchQuery("very common + filter", q("信息", share_type=("unconditional",))),
        BenchQuery("rare word", q("采伐")),
        BenchQuery("rare pair", q("嘉峪关 殡葬")),
        BenchQuery("word + province", q("户籍", "city", region=("330000",))),
        BenchQuery(
            "word + city + class", q("企业", "county", region=("440300",), classification=("102",))
        ),
        BenchQuery("match all", q("")),
        BenchQuery("county + grade", q("", "county", region=("330102",), grade=("important",))),
        BenchQuery("item name", q("公民身份号码")),
        BenchQuery("item name + filter", q("统一社会信用代码", open_type=("unconditional",))),
        BenchQuery("single characters", q("房屋网签"), must_agree=False),
        BenchQuery("resource code", q(sample_resource_code)),
        BenchQuery("words + 2 filters", q("排污许可", "city", update_cycle=("monthly",))),
    ]


# --- measuring and reporting -------------------------------------------------


def _cell(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a Han character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - columns)


def percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[int(rank) - 1]


@dataclass
class Timings:
    index: list[list[float]] = field(default_factory=list)
    baseline: list[list[float]] = field(default_factory=list)
    totals: list[tuple[int, int]] = field(default_factory=list)


def run_queries(
    index: CatalogIndex, connection: sqlite3.Connection, queries: list[BenchQuery], repeats: int
) -> Timings:
    """Each query on the index and on the baseline in alternation, after one
    untimed round to warm caches."""
    timings = Timings(
        index=[[] for _ in queries], baseline=[[] for _ in queries], totals=[(0, 0)] * len(queries)
    )
    for round_number in range(repeats + 1):
        for number, bench in enumerate(queries):
            started = time.perf_counter()
            found = index.search(bench.query).total
            middle = time.perf_counter()
            expected = baseline_search(connection, bench.query)
            ended = time.perf_counter()
            timings.totals[number] = (found, expected)
            if round_number:
                timings.index[number].append((middle - started) * 1000)
                timings.baseline[number].append((ended - middle) * 1000)
    return timings


def report(
    *,
    catalog: CatalogStats,
    build_seconds: float,
    size_bytes: int,
    baseline_seconds: float,
    queries: list[BenchQuery],
    timings: Timings,
) -> dict[str, float]:
    every_index = [ms for runs in timings.index for ms in runs]
    every_baseline = [ms for runs in timings.baseline for ms in runs]
    results = {
        "entries": float(catalog.entries),
        "items": float(catalog.items),
        "build_s": build_seconds,
        "generate_s": catalog.seconds,
        "index_mib": size_bytes / 2**20,
        "baseline_load_s": baseline_seconds,
        "index_p50_ms": statistics.median(every_index),
        "index_p95_ms": percentile(every_index, 95),
        "index_max_ms": max(every_index),
        "baseline_p50_ms": statistics.median(every_baseline),
        "baseline_p95_ms": percentile(every_baseline, 95),
        "baseline_max_ms": max(every_baseline),
    }
    results["ratio_p50"] = results["baseline_p50_ms"] / results["index_p50_ms"]
    results["ratio_p95"] = results["baseline_p95_ms"] / results["index_p95_ms"]
    disagree = [
        (bench, totals) for bench, totals in zip(queries, timings.totals, strict=True)
        if totals[0] != totals[1]
    ]  # fmt: skip
    results["mismatches"] = float(sum(bench.must_agree for bench, _ in disagree))

    print(
        f"catalog: {catalog.entries:,} entries, {catalog.items:,} information items "
        f"({catalog.items / max(catalog.entries, 1):.1f} per entry), "
        f"{catalog.providers:,} providers"
    )
    print(
        f"index build (CatalogIndex.rebuild): {build_seconds:.1f} s, of which generating the "
        f"entries {catalog.seconds:.1f} s; size {results['index_mib']:.1f} MiB"
    )
    print(f"baseline load (SQLite, facet columns indexed): {baseline_seconds:.1f} s")
    print()
    print(
        f"{'query':<22}{_cell('text', 20)}{'total':>9}{'index p50':>12}{'baseline p50':>14}  ratio"
    )
    for bench, index_runs, baseline_runs, (found, expected) in zip(
        queries, timings.index, timings.baseline, timings.totals, strict=True
    ):
        index_ms, baseline_ms = statistics.median(index_runs), statistics.median(baseline_runs)
        flag = "" if found == expected else f"  ≠ baseline {expected:,}"
        print(
            f"{bench.label:<22}{_cell(bench.query.text, 20)}{found:>9,}{index_ms:>10.2f}ms"
            f"{baseline_ms:>12.1f}ms {baseline_ms / index_ms:>6.0f}×{flag}"
        )
    print()
    runs = len(every_index)
    print(f"search + 7 facets, {len(queries)} queries × {runs // len(queries)} runs:")
    for side in ("index", "baseline"):
        print(
            f"  {side:<9} p50 {results[f'{side}_p50_ms']:9.2f} ms   "
            f"p95 {results[f'{side}_p95_ms']:9.2f} ms   max {results[f'{side}_max_ms']:9.2f} ms"
        )
    print(
        f"  ratio baseline/index: p50 {results['ratio_p50']:.0f}×, p95 {results['ratio_p95']:.0f}×"
    )
    met = results["index_p95_ms"] <= TARGET_P95_MS and results["ratio_p95"] >= TARGET_RATIO
    print(
        f"target at {TARGET_ENTRIES:,} entries: p95 ≤ {TARGET_P95_MS:.0f} ms and ≥ "
        f"{TARGET_RATIO:.0f}× the baseline; at {catalog.entries:,}: {'met' if met else 'NOT met'}"
    )
    if not disagree:
        print("totals: the index and the baseline agree on every query")
    for bench, (found, expected) in disagree:
        why = "MISMATCH" if bench.must_agree else "expected (single-character words)"
        words = "/".join(query_words(bench.query.text))
        print(f"totals differ on {words!r}: index {found:,}, baseline {expected:,} — {why}")
    return results


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=300_000, help="catalog entries to generate")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each query")
    parser.add_argument("--seed", type=int, default=20261121, help="seed of the generator")
    parser.add_argument(
        "--data-dir", type=Path, default=None,
        help="where to put the index and the SQLite file (default: a temporary "
        "directory under ./var/bench, removed afterwards)",
    )  # fmt: skip
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for the test suite")
    args = parser.parse_args(argv)
    if args.smoke:
        args.entries, args.repeats = 300, 1

    if args.data_dir is not None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        return _run(args.data_dir, args.entries, args.repeats, args.seed)
    scratch = Path("var/bench")
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="catalog-search-", dir=scratch) as directory:
        return _run(Path(directory), args.entries, args.repeats, args.seed)


def _run(directory: Path, entries: int, repeats: int, seed: int) -> dict[str, float]:
    def progress(done: int) -> None:
        if done % 500_000 == 0 and done < entries:
            print(f"  indexed {done:,} entries", flush=True)

    catalog = CatalogStats()
    index = CatalogIndex(directory / "index")
    built = index.rebuild(generate(entries, seed, catalog), progress=progress)

    database = directory / "baseline.sqlite"
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    connection = load_baseline(database, generate(entries, seed))
    baseline_seconds = time.perf_counter() - started
    try:
        queries = bench_queries(catalog.sample_resource_code)
        timings = run_queries(index, connection, queries, repeats)
    finally:
        connection.close()
        index.close()
    return report(
        catalog=catalog,
        build_seconds=built.seconds,
        size_bytes=built.size_bytes,
        baseline_seconds=baseline_seconds,
        queries=queries,
        timings=timings,
    )


if __name__ == "__main__":
    main()
