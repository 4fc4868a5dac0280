"""The legal grounds a refusal may cite, as the platform ships them.

The migration stores this list; the authority maintains it afterwards
(``share_grounds_set``). A code, once used, keeps its meaning.
"""

from __future__ import annotations

DEFAULT_GROUNDS: tuple[tuple[str, str, str], ...] = (
    ("state_secret", "涉及国家秘密", "《中华人民共和国保守国家秘密法》"),
    (
        "commercial_or_private",
        "涉及商业秘密或个人隐私且无法脱敏",
        "《中华人民共和国个人信息保护法》《中华人民共和国反不正当竞争法》",
    ),
    ("purpose_unrelated", "申请用途与履职无关", "《政务信息资源共享管理暂行办法》"),
    ("beyond_duties", "超出申请部门职责范围", "《政务信息资源共享管理暂行办法》"),
    ("not_provider_duty", "数据不在本部门职责范围内", "《政务信息资源共享管理暂行办法》"),
    ("law_provides_otherwise", "法律法规另有规定", "相关法律、行政法规"),
)
