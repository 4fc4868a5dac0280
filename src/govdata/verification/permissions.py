"""Who may designate authoritative sources, run comparisons and scans, and read results.

Designations, runs and scans belong to an organisation (usually the data
authority's region) and are checked against it. A run or scan reads the data of
its input tables inside the platform, so the caller must also hold
``verification:run`` over each input's holder. Reading a run's conflicts is a
read of data: after ``verification:read`` the grade of every input decides (X2),
sensitive values are masked for the reader, and the read is recorded.
"""

from govdata.authz import Role, permission

MANAGE = "verification:authority:manage"
RUN = "verification:run"
READ = "verification:read"

PERMISSIONS = (
    permission(
        MANAGE,
        [Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN],
        "指定权威数据来源",
    ),
    permission(
        RUN,
        [Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN],
        "发起多源比对和重复采集检测",
    ),
    permission(
        READ,
        [Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN, Role.AUDITOR],
        "查看权威来源、比对结果和重复采集检测结果",
    ),
)
