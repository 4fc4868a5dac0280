"""Who may do what with the catalog.

Drafting and reviewing are checked against the provider department, so a
reviewer holding the role over a region's subtree reviews every department in
it. The published catalog is readable by every signed-in member; the entries
that are open (无条件开放/有条件开放) are listed to everyone, as open data. On top
of these, every read is decided by the entry's grade (govdata.access): members see
descriptions up to important data, the public open entries up to general data.
"""

from govdata.authz import Role, permission

PERMISSIONS = (
    permission(
        "catalog:entry:draft",
        [Role.PROVIDER_OFFICER, Role.PLATFORM_ADMIN],
        "编制、修改和提交目录",
    ),
    permission(
        "catalog:entry:review",
        [Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN],
        "审核目录（发布或退回）",
    ),
    permission(
        "catalog:entry:read_working",
        [Role.PROVIDER_OFFICER, Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN, Role.AUDITOR],
        "查看未发布的目录版本",
    ),
    permission("catalog:entry:read", [Role.MEMBER], "查看已发布目录", scoped=False),
    permission("catalog:open:read", [Role.PUBLIC], "查看开放目录", scoped=False),
    permission(
        "catalog:system:register",
        [Role.PROVIDER_OFFICER, Role.PLATFORM_ADMIN],
        "登记信息系统",
    ),
    permission("catalog:system:read", [Role.MEMBER], "查看信息系统", scoped=False),
    permission(
        "catalog:deadline:read",
        [Role.AUTHORITY_REVIEWER, Role.PROVIDER_OFFICER, Role.PLATFORM_ADMIN, Role.AUDITOR],
        "查看目录编制时限",
    ),
    permission(
        "catalog:obligation:create",
        [Role.AUTHORITY_REVIEWER, Role.PROVIDER_OFFICER, Role.PLATFORM_ADMIN],
        "登记新增资源或资源变更（开始计算编目时限）",
    ),
    # Checked against NODE_ROOT: the local operator rebuilds the search index.
    permission("catalog:index:rebuild", [Role.PLATFORM_ADMIN], "重建目录检索索引"),
)
