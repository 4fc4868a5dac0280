"""Who takes which step of sharing.

Applying belongs to the consumer department's officers (at their own
department); reviewing to the holder's provider officers; escalating an overdue
review and deciding it to the authority's reviewers over the holder; managing a
grant (suspend, resume, renew, revoke) and returning data (数据回流) to the holder's
provider officers and the authority over it; maintaining the refusal grounds to
the authority. The parties, their authorities and auditors read applications
and grants.
"""

from govdata.authz import Role, permission

PERMISSIONS = (
    permission("sharing:apply", [Role.CONSUMER_OFFICER], "申请共享数据"),
    permission("sharing:review", [Role.PROVIDER_OFFICER], "审核本部门数据的共享申请"),
    permission(
        "sharing:escalate",
        [Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN],
        "督办并裁决逾期的共享申请",
    ),
    permission(
        "sharing:grant:manage",
        [Role.PROVIDER_OFFICER, Role.AUTHORITY_REVIEWER],
        "暂停、恢复、续期、撤销共享授权",
    ),
    permission(
        "sharing:return",
        [Role.PROVIDER_OFFICER, Role.AUTHORITY_REVIEWER],
        "向属地部门回流数据",
    ),
    permission(
        "sharing:read",
        [Role.CONSUMER_OFFICER, Role.PROVIDER_OFFICER, Role.AUTHORITY_REVIEWER, Role.AUDITOR],
        "查看共享申请和共享授权",
    ),
    permission("sharing:grounds:read", [Role.MEMBER], "查看拒绝共享的法定事由", scoped=False),
    permission(
        "sharing:grounds:manage",
        [Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN],
        "维护拒绝共享的法定事由",
        scoped=False,
    ),
)
