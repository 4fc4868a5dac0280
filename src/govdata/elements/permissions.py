"""Data elements are the node's shared vocabulary: everyone signed in reads them,
the authority's reviewers and the platform administrators define them."""

from govdata.authz import Role, permission

PERMISSIONS = (
    permission("element:read", [Role.MEMBER], "查看数据元及其代码表", scoped=False),
    permission(
        "element:manage",
        [Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN],
        "定义本节点的数据元",
        scoped=False,
    ),
)
