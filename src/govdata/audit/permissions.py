"""Who may search the audit trail and review alerts: auditors, over their scope.

An auditor holding the role at an organisation with subtree scope sees the events
and alerts that concern that organisation and the ones below it (see
docs/decisions/0011-audit-and-blocking.md for how an event concerns one).
Platform administrators are deliberately not auditors: who runs the platform
does not review their own traces.
"""

from govdata.authz import Role, permission

PERMISSIONS = (
    permission("audit:read", [Role.AUDITOR], "查询和导出审计日志、查看异常告警"),
    permission("audit:review", [Role.AUDITOR], "复核异常告警（放行或确认）"),
)
