"""The national data elements every node knows, with their code lists.

Field definitions used across the base libraries and most department tables,
each with the standard that defines it. Code lists are copied from the
standards (GB/T 2261.1 sex, GB/T 2261.2 marital status, GB/T 3304 ethnic
groups). A node adds its own elements in the database (:mod:`.models`); a
node-defined element may not take a national element's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from govdata.aggregation.columns import Check


@dataclass(frozen=True)
class Element:
    code: str
    name: str  # 中文名称
    identifier: str  # the usual column name
    data_type: str  # catalog data type code: C, N, D, T, ...
    length: int | None
    standard: str = ""
    aliases: tuple[str, ...] = ()
    check: Check | None = None
    codes: dict[str, str] = field(default_factory=dict)
    description: str = ""
    origin: str = "national"


SEX = {"0": "未知的性别", "1": "男性", "2": "女性", "9": "未说明的性别"}
MARITAL_STATUS = {
    "10": "未婚",
    "20": "已婚",
    "21": "初婚",
    "22": "再婚",
    "23": "复婚",
    "30": "丧偶",
    "40": "离婚",
    "90": "未说明的婚姻状况",
}
_ETHNIC_NAMES = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
]
ETHNICITY = {f"{number:02d}": name for number, name in enumerate(_ETHNIC_NAMES, start=1)}
ETHNICITY |= {"97": "其他", "98": "外国血统中国籍人士"}

NATIONAL: tuple[Element, ...] = (
    Element(
        "DE0001",
        "公民身份号码",
        "id_number",
        "C",
        18,
        "GB 11643-1999",
        ("身份证号", "身份证号码", "居民身份证号码", "证件号码"),
        Check.ID_NUMBER,
    ),
    Element("DE0002", "姓名", "name", "C", 100, "", ("人员姓名", "名称（自然人）")),
    Element("DE0003", "性别代码", "sex", "C", 1, "GB/T 2261.1-2003", ("性别",), Check.SEX, SEX),
    Element("DE0004", "出生日期", "birth_date", "D", 8, "", ("出生年月日",)),
    Element(
        "DE0005", "民族代码", "ethnicity", "C", 2, "GB/T 3304-1991", ("民族",), None, ETHNICITY
    ),
    Element(
        "DE0006",
        "婚姻状况代码",
        "marital_status",
        "C",
        2,
        "GB/T 2261.2-2003",
        ("婚姻状况",),
        None,
        MARITAL_STATUS,
    ),
    Element(
        "DE0007",
        "行政区划代码",
        "division_code",
        "C",
        6,
        "GB/T 2260-2007",
        ("户籍地行政区划代码", "区划代码", "所属区划"),
        Check.DIVISION_CODE,
    ),
    Element(
        "DE0008", "联系电话", "phone", "C", 30, "", ("电话", "手机号码", "联系方式"), Check.PHONE
    ),
    Element("DE0009", "住址", "address", "C", 200, "", ("地址", "户籍地址", "现住址")),
    Element(
        "DE0010",
        "统一社会信用代码",
        "credit_code",
        "C",
        18,
        "GB 32100-2015",
        ("信用代码", "社会信用代码"),
        Check.CREDIT_CODE,
    ),
    Element("DE0011", "法定代表人姓名", "legal_representative", "C", 100, "", ("法定代表人",)),
    Element("DE0012", "成立日期", "established_on", "D", 8, "", ("注册日期", "登记日期")),
)
