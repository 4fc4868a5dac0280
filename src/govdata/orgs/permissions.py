"""Who may do what with organisations."""

from govdata.authz import Role, permission

PERMISSIONS = (
    permission("orgs:division:read", [Role.PUBLIC], "查看行政区划", scoped=False),
    # Checked against NODE_ROOT: only a node-wide grant (the local operator) holds it.
    permission("orgs:division:import", [Role.PLATFORM_ADMIN], "导入行政区划版本"),
    permission("orgs:organisation:read", [Role.PUBLIC], "查看组织机构", scoped=False),
    permission("orgs:region:create", [Role.PLATFORM_ADMIN], "创建行政区域组织"),
    permission(
        "orgs:department:create",
        [Role.PLATFORM_ADMIN, Role.AUTHORITY_REVIEWER],
        "创建部门",
    ),
)
