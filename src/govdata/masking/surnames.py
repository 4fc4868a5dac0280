"""Chinese surnames and given-name characters, for recognising and inventing names.

The lists are ordered tuples (never sets) because pseudonyms pick from them by
position: the order is part of what keeps a pseudonym stable across releases.
Append to the end only; reordering or removing an entry changes pseudonyms.
"""

from __future__ import annotations

# Two-character (compound) surnames: 欧阳娜娜 keeps 欧阳, not 欧.
COMPOUND_SURNAMES: tuple[str, ...] = (
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "司徒", "司空", "夏侯", "令狐", "轩辕", "独孤", "南宫", "西门", "万俟", "闻人", "澹台",
    "公冶", "太叔", "申屠", "淳于", "单于", "钟离", "宗政", "濮阳", "呼延", "赫连", "端木",
    "拓跋", "鲜于", "闾丘", "东郭", "百里", "左丘", "公羊", "段干", "巫马", "漆雕", "乐正",
    "羊舌", "微生",
)  # fmt: skip

# Common single-character surnames (most frequent first). Characters that are far
# more often the start of a place or organisation name than of a person's name
# (和, 海, 国, 平...) are left out so that detection does not mistake 和平路 for a name.
SINGLE_SURNAMES: tuple[str, ...] = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申"
    "欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴"
    "蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米"
    "柏宗瞿桂佟臧闵苟邬边卞姬仇栾隋刁巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝封谈匡鞠惠荆冀郁胥"
    "班储栗鄢劳谌奚皮粟冼蔺楼盘厉仝郜阚屠帅"
)

# Characters common in given names, for pseudonyms.
GIVEN_NAME_CHARS: tuple[str, ...] = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红文辉建国志宇浩然欣怡佳琪子涵梓轩"
    "博晨思雨嘉俊鑫鹏飞斌波宁慧婷雪琳晶颖倩丹亮成林凯峰龙海燕春梅兰云新永庆民德荣瑞祥安振天"
    "昊泽睿晓小立东阳光金珍凤翠莉彬佩璐瑶蕾薇诗雅晴朗毅勤诚蓉菲洁榕彦铭楠畅乐悦妍希语沐宸晗"
    "煜锦航远"
)

# Last characters that mark a place or an organisation rather than a person
# (和平路, 城关镇, 财政局...): a 2-4 character text ending in one is not a name.
NOT_NAME_ENDINGS = frozenset("路街巷村区县市省镇乡局委厅部院所站队社司校馆厂场园楼室处科组店行")

_COMPOUND = frozenset(COMPOUND_SURNAMES)
_SINGLE = frozenset(SINGLE_SURNAMES)


def surname_length(name: str) -> int:
    """How many leading characters of ``name`` are the surname (1 or 2).

    A compound surname counts only when something follows it: 欧阳 alone is
    read as the surname 欧 and the given name 阳.
    """
    if len(name) >= 3 and name[:2] in _COMPOUND:
        return 2
    return 1


def has_known_surname(name: str) -> bool:
    """Whether ``name`` starts with a known compound or common single surname."""
    if len(name) >= 3 and name[:2] in _COMPOUND:
        return True
    return name[:1] in _SINGLE
