"""Who may declare quality rules, run checks and see the results.

Rules and runs are checked against the organisation that owns the resource:
the provider department for a source, the data authority's region for a
library. Failing rows carry data values; opening them is a read of the
resource's data (``aggregation:data:read`` or ``library:read``, then the grade).
"""

from govdata.authz import Role, permission

PERMISSIONS = (
    permission(
        "quality:rules:manage",
        [Role.PROVIDER_OFFICER, Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN],
        "维护数据质量规则",
    ),
    permission(
        "quality:run:start",
        [Role.PROVIDER_OFFICER, Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN],
        "发起数据质量检查",
    ),
    permission(
        "quality:read",
        [Role.PROVIDER_OFFICER, Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN, Role.AUDITOR],
        "查看数据质量规则、检查结果和评分",
    ),
)
