"""Who takes which step of an objection.

Filing needs the right to read the data objected to (checked by grade as a read
of values); answering belongs to the holder's provider officers; escalating and
resolving to the authority's reviewers over the holder; everyone concerned
(reporting department, holder, their authority, auditors) may read it.
"""

from govdata.authz import Role, permission

PERMISSIONS = (
    permission(
        "objection:file",
        [Role.CONSUMER_OFFICER, Role.PROVIDER_OFFICER, Role.AUTHORITY_REVIEWER],
        "对数据提出异议、接受或不接受答复",
    ),
    permission("objection:answer", [Role.PROVIDER_OFFICER], "答复本部门数据的异议"),
    permission("objection:escalate", [Role.AUTHORITY_REVIEWER], "督办、裁决数据异议"),
    permission(
        "objection:read",
        [Role.CONSUMER_OFFICER, Role.PROVIDER_OFFICER, Role.AUTHORITY_REVIEWER, Role.AUDITOR],
        "查看数据异议及其处理过程",
    ),
)
