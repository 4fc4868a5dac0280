"""Who may do what with sources, runs and aggregated data.

Sources, runs and the data they hold are checked against the provider
department that owns the source, so an authority reviewer holding a role over
a region's subtree sees every department in it. Reading data (stored or at
the source) is a separate permission from managing sources, and every read is
recorded as an event. Reads are then decided by the data's grade (govdata.access):
holding ``aggregation:data:read`` over a department does not reach all its data.
"""

from govdata.authz import Role, permission

PERMISSIONS = (
    permission(
        "aggregation:source:manage",
        [Role.PROVIDER_OFFICER, Role.PLATFORM_ADMIN],
        "登记和维护数据源",
    ),
    permission(
        "aggregation:run:start",
        [Role.PROVIDER_OFFICER, Role.PLATFORM_ADMIN],
        "发起、重试归集任务",
    ),
    permission(
        "aggregation:run:read",
        [Role.PROVIDER_OFFICER, Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN, Role.AUDITOR],
        "查看数据源、归集任务和隔离数据",
    ),
    permission(
        "aggregation:data:read",
        [Role.PROVIDER_OFFICER, Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN, Role.AUDITOR],
        "读取归集数据（库内版本或逻辑接入）",
    ),
    # Libraries are checked against the organisation that owns the library
    # (the data authority's region).
    permission(
        "library:manage",
        [Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN],
        "建设基础库和主题库",
    ),
    permission(
        "library:read",
        [Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN, Role.AUDITOR],
        "读取基础库和主题库数据",
    ),
)
