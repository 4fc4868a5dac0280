"""The standard schemas of the five base libraries (基础库), as data.

The national guide for the integrated government big-data system names five
base libraries: population (人口), legal entities (法人), natural resources and
spatial geography (自然资源和空间地理), the macro economy (宏观经济) and
electronic licences (电子证照). A base library is created from one of these
standards: its columns (types, required flags, standard checks) and its record
key come from here, so every node's population library has the same shape and
the libraries of different nodes can be compared and shared.

Theme libraries (主题库) have no fixed schema; :data:`THEME_EXAMPLES` lists the
themes the guide names, as starting points.

``docs/libraries.md`` shows these tables; ``scripts/gen_library_docs.py``
regenerates them, and a test fails when the page and the data differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from govdata.aggregation.columns import DEFAULT_MAX_LENGTH, Check, ColumnSpec, ColumnType
from govdata.errors import NotFound

STRING, DECIMAL, DATE, TIMESTAMP = (
    ColumnType.STRING,
    ColumnType.DECIMAL,
    ColumnType.DATE,
    ColumnType.TIMESTAMP,
)


@dataclass(frozen=True)
class LibraryStandard:
    """The schema every base library of one kind follows."""

    code: str  # population, legal_entity, ...
    name: str  # 人口基础库
    description: str
    key: tuple[str, ...]  # the columns that identify a record
    columns: tuple[ColumnSpec, ...]
    # Code lists and formats a column follows, where its type and check do not say it all.
    notes: Mapping[str, str] = field(default_factory=dict)
    # The standards the columns draw on.
    references: tuple[str, ...] = ()

    def column(self, name: str) -> ColumnSpec:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


@dataclass(frozen=True)
class ThemeExample:
    """A theme library a node can start from; its columns are its own."""

    code: str
    name: str
    description: str


def _column(
    name: str,
    label: str,
    kind: ColumnType = STRING,
    *,
    required: bool = False,
    check: Check | None = None,
    max_length: int = DEFAULT_MAX_LENGTH,
    precision: int = 18,
    scale: int = 2,
) -> ColumnSpec:
    return ColumnSpec(
        name=name,
        label=label,
        type=kind,
        required=required,
        check=check,
        max_length=max_length,
        precision=precision,
        scale=scale,
    )


def _updated_at() -> ColumnSpec:
    return _column("updated_at", "更新时间", TIMESTAMP)


POPULATION = LibraryStandard(
    code="population",
    name="人口基础库",
    description=(
        "以公民身份号码为标识的自然人基础信息，以户籍登记信息为主，"
        "由公安、民政、卫生健康、人力资源社会保障、教育等部门的数据比对补充。"
    ),
    key=("id_number",),
    columns=(
        _column("id_number", "公民身份号码", required=True, check=Check.ID_NUMBER, max_length=18),
        _column("name", "姓名", required=True, max_length=100),
        _column("sex", "性别", check=Check.SEX, max_length=4),
        _column("birth_date", "出生日期", DATE),
        _column("ethnicity", "民族", max_length=20),
        _column("nationality", "国籍", max_length=40),
        _column("division_code", "户籍地行政区划代码", check=Check.DIVISION_CODE, max_length=9),
        _column("address", "住址", max_length=200),
        _column("current_address", "现住址", max_length=200),
        _column("phone", "联系电话", check=Check.PHONE, max_length=30),
        _column("marital_status", "婚姻状况", max_length=20),
        _column("education", "学历", max_length=20),
        _column("death_date", "死亡日期", DATE),
        _updated_at(),
    ),
    notes={
        "id_number": "18 位，末位为校验码（0–9 或 X）",
        "sex": "代码 0 未知、1 男、2 女、9 未说明；源数据中的“男”“女”转换为代码",
        "ethnicity": "GB/T 3304 民族代码（两位数字，如 01 汉族、02 蒙古族）",
        "nationality": "GB/T 2659 国家和地区代码，如 CHN",
        "division_code": "户籍登记地县级（6 位）或乡级（9 位）区划代码",
        "address": "户籍登记住址",
        "marital_status": "GB/T 2261.2 婚姻状况代码，如 10 未婚、20 已婚",
        "education": "GB/T 4658 学历代码",
        "death_date": "死亡登记或户籍注销的日期，在世为空",
    },
    references=(
        "GB 11643-1999 公民身份号码",
        "GB/T 2261.1-2003 人的性别代码",
        "GB/T 2261.2-2003 婚姻状况代码",
        "GB/T 3304-1991 中国各民族名称的罗马字母拼写法和代码",
        "GB/T 2659 世界各国和地区名称代码",
        "GB/T 4658-2006 学历代码",
        "GB/T 2260 中华人民共和国行政区划代码",
    ),
)

LEGAL_ENTITY = LibraryStandard(
    code="legal_entity",
    name="法人基础库",
    description=(
        "以统一社会信用代码为标识的企业、机关、事业单位、社会组织等法人和其他组织的基础信息，"
        "由市场监管、机构编制、民政等登记管理部门的登记信息汇聚而成。"
    ),
    key=("credit_code",),
    columns=(
        _column(
            "credit_code", "统一社会信用代码", required=True, check=Check.CREDIT_CODE, max_length=18
        ),
        _column("name", "名称", required=True, max_length=200),
        _column("entity_type", "市场主体类型", max_length=100),
        _column("legal_representative", "法定代表人", max_length=100),
        _column("registered_capital", "注册资本（万元）", DECIMAL, precision=18, scale=4),
        _column("currency", "币种", max_length=20),
        _column("established_on", "成立日期", DATE),
        _column("operating_from", "营业期限自", DATE),
        _column("operating_until", "营业期限至", DATE),
        _column("registration_authority", "登记机关", max_length=200),
        _column("approved_on", "核准日期", DATE),
        _column("status", "登记状态", max_length=20),
        _column("address", "住所", max_length=300),
        _column("division_code", "住所行政区划代码", check=Check.DIVISION_CODE, max_length=9),
        _column("industry_code", "行业代码", max_length=10),
        _column("business_scope", "经营范围", max_length=20_000),
        _column("phone", "联系电话", check=Check.PHONE, max_length=30),
        _updated_at(),
    ),
    notes={
        "credit_code": "18 位，末位为校验码",
        "entity_type": "如有限责任公司、股份有限公司、个人独资企业、合伙企业、农民专业合作社、"
        "个体工商户、事业单位、社会团体",
        "registered_capital": "以万元计；外币注册资本另记币种",
        "currency": "如人民币、美元",
        "operating_until": "长期经营的为空",
        "status": "如存续（在营、开业、在册）、吊销、注销、迁出",
        "industry_code": "GB/T 4754 国民经济行业分类代码",
    },
    references=(
        "GB 32100-2015 法人和其他组织统一社会信用代码编码规则",
        "GB/T 4754-2017 国民经济行业分类",
        "GB/T 2260 中华人民共和国行政区划代码",
    ),
)

NATURAL_RESOURCES = LibraryStandard(
    code="natural_resources",
    name="自然资源和空间地理基础库",
    description=(
        "以宗地为单元的土地权属、用途、面积和空间范围信息，由不动产登记、"
        "国土调查和基础测绘数据汇聚而成，空间范围以 WKT 文本表示。"
    ),
    key=("parcel_code",),
    columns=(
        _column("parcel_code", "宗地代码", required=True, max_length=19),
        _column("real_estate_unit_code", "不动产单元号", max_length=28),
        _column("division_code", "所在行政区划代码", check=Check.DIVISION_CODE, max_length=9),
        _column("location", "坐落", max_length=300),
        _column("land_use_code", "地类编码", max_length=10),
        _column("land_use", "用途", max_length=100),
        _column("area", "面积（平方米）", DECIMAL, precision=18, scale=2),
        _column("right_type", "权利类型", max_length=50),
        _column("right_nature", "权利性质", max_length=50),
        _column("right_holder", "权利人", max_length=200),
        _column("right_holder_id", "权利人证件号码", max_length=30),
        _column("registered_on", "登记日期", DATE),
        _column("geometry_wkt", "空间范围（WKT）", max_length=1_000_000),
        _updated_at(),
    ),
    notes={
        "parcel_code": "19 位：县级区划代码 6 位、地籍区 3 位、地籍子区 3 位、"
        "宗地特征码 2 位、宗地顺序号 5 位",
        "real_estate_unit_code": "28 位：宗地代码 19 位加定着物单元代码 9 位",
        "land_use_code": "GB/T 21010 土地利用现状分类的二级类编码，如 0702 农村宅基地",
        "right_type": "如国有建设用地使用权、宅基地使用权、土地承包经营权",
        "right_nature": "如出让、划拨、国有、集体",
        "right_holder_id": "公民身份号码或统一社会信用代码，因主体而异，不作统一校验",
        "geometry_wkt": "POLYGON 或 MULTIPOLYGON，坐标系为 2000 国家大地坐标系（CGCS2000）",
    },
    references=(
        "GB/T 37346-2019 不动产单元设定与代码编制规则",
        "GB/T 21010-2017 土地利用现状分类",
        "OGC Simple Features（WKT 几何文本）",
        "GB/T 2260 中华人民共和国行政区划代码",
    ),
)

ECONOMY = LibraryStandard(
    code="economy",
    name="宏观经济基础库",
    description=(
        "按指标、统计期和行政区划组织的宏观经济数据，如地区生产总值、居民消费价格指数、"
        "固定资产投资、社会消费品零售总额，由统计、发展改革、财政、税务、海关、人民银行等部门提供。"
    ),
    key=("indicator_code", "period", "division_code"),
    columns=(
        _column("indicator_code", "指标代码", required=True, max_length=50),
        _column("indicator_name", "指标名称", required=True, max_length=200),
        _column("period", "统计期", required=True, max_length=10),
        _column("period_type", "统计期类型", max_length=10),
        _column(
            "division_code", "行政区划代码", required=True, check=Check.DIVISION_CODE, max_length=9
        ),
        _column("value", "指标值", DECIMAL, precision=24, scale=4),
        _column("unit", "计量单位", max_length=20),
        _column("scope", "统计口径", max_length=200),
        _column("source_department", "来源部门", max_length=200),
        _column("published_on", "发布日期", DATE),
        _updated_at(),
    ),
    notes={
        "period": "年 2026，季 2026-Q3，月 2026-10",
        "period_type": "年、季、月",
        "division_code": "数据所属地区；全国用 100000",
        "unit": "如亿元、万人、%；指数写明基期",
        "scope": "如按当年价格、按可比价格、规模以上工业",
    },
    references=("GB/T 2260 中华人民共和国行政区划代码",),
)

E_LICENCE = LibraryStandard(
    code="e_licence",
    name="电子证照基础库",
    description=(
        "各部门颁发的证件、执照、批文等电子证照的目录信息："
        "证照类型、编号、持证主体、发证机关和有效期，证照文件本身由电子证照系统保存。"
    ),
    key=("licence_type_code", "licence_number"),
    columns=(
        _column("licence_identifier", "证照标识", max_length=100),
        _column("licence_type_code", "证照类型代码", required=True, max_length=50),
        _column("licence_name", "证照名称", max_length=200),
        _column("licence_number", "证照编号", required=True, max_length=100),
        _column("holder_name", "持证主体", max_length=200),
        _column("holder_id_type", "持证主体代码类型", max_length=40),
        _column("holder_id", "持证主体代码", max_length=50),
        _column("issuing_authority", "发证机关", max_length=200),
        _column("issuing_authority_code", "发证机关代码", check=Check.CREDIT_CODE, max_length=18),
        _column("issued_on", "发证日期", DATE),
        _column("valid_from", "有效期起始", DATE),
        _column("valid_until", "有效期至", DATE),
        _column("status", "证照状态", max_length=20),
        _column("division_code", "发证地行政区划代码", check=Check.DIVISION_CODE, max_length=9),
        _updated_at(),
    ),
    notes={
        "licence_identifier": "GB/T 36904 电子证照标识，全国唯一",
        "licence_type_code": "电子证照目录中的证照类型代码，同一类型内证照编号唯一",
        "holder_id_type": "如公民身份号码、统一社会信用代码、护照号码",
        "holder_id": "按持证主体代码类型分别为公民身份号码或统一社会信用代码等，不作统一校验",
        "issuing_authority_code": "发证机关的统一社会信用代码",
        "valid_until": "长期有效的为空",
        "status": "如有效、注销、吊销、过期",
    },
    references=(
        "GB/T 36901-2018 电子证照 总体技术架构",
        "GB/T 36902-2018 电子证照 目录信息规范",
        "GB/T 36903-2018 电子证照 元数据规范",
        "GB/T 36904-2018 电子证照 标识规范",
        "GB 32100-2015 法人和其他组织统一社会信用代码编码规则",
    ),
)

STANDARDS: dict[str, LibraryStandard] = {
    standard.code: standard
    for standard in (POPULATION, LEGAL_ENTITY, NATURAL_RESOURCES, ECONOMY, E_LICENCE)
}

THEME_EXAMPLES: tuple[ThemeExample, ...] = (
    ThemeExample(
        "theme_health",
        "医疗健康主题库",
        "医疗机构、医务人员、诊疗、预防接种、出生医学证明和医保结算等数据。",
    ),
    ThemeExample(
        "theme_social_security",
        "社会保障主题库",
        "养老、医疗、失业、工伤保险的参保和待遇，社会救助与社会福利数据。",
    ),
    ThemeExample(
        "theme_ecology",
        "生态环保主题库",
        "环境质量监测、污染源和排污许可、环境执法、生态保护等数据。",
    ),
    ThemeExample(
        "theme_credit",
        "信用体系主题库",
        "行政许可和行政处罚、守信激励与失信惩戒名单、信用评价等数据。",
    ),
    ThemeExample(
        "theme_emergency",
        "应急管理主题库",
        "安全生产、自然灾害、应急预案、救援队伍和应急物资等数据。",
    ),
    ThemeExample(
        "theme_state_assets",
        "国资监管主题库",
        "国有企业的产权登记、财务、投资和资产运营等数据。",
    ),
    ThemeExample(
        "theme_government_services",
        "政务服务主题库",
        "政务服务事项、办件过程和结果、评价等数据。",
    ),
    ThemeExample(
        "theme_person_profile",
        "一人一档主题库",
        "按公民身份号码关联的同一个人在各部门的数据（一人一档）。",
    ),
    ThemeExample(
        "theme_enterprise_profile",
        "一企一档主题库",
        "按统一社会信用代码关联的同一企业在各部门的数据（一企一档）。",
    ),
)


def get_standard(code: str) -> LibraryStandard:
    """The base-library standard with this code."""
    try:
        return STANDARDS[code]
    except KeyError:
        raise NotFound(
            f"没有代码为“{code}”的基础库标准（可选：{'、'.join(STANDARDS)}）",
            code="library_standard_not_found",
            fields={"standard": "不存在"},
        ) from None
