"""Who may manage accounts."""

from govdata.authz import Role, permission

PERMISSIONS = (
    permission("accounts:session:create", [Role.PUBLIC], "登录", scoped=False),
    permission("accounts:session:delete", [Role.MEMBER], "退出登录", scoped=False),
    permission("accounts:password:change", [Role.MEMBER], "修改本人密码", scoped=False),
    permission("accounts:user:read_self", [Role.MEMBER], "查看本人账号", scoped=False),
    permission("accounts:user:create", [Role.PLATFORM_ADMIN], "创建用户"),
    permission("accounts:user:read", [Role.PLATFORM_ADMIN, Role.AUDITOR], "查看用户"),
    permission("accounts:user:manage", [Role.PLATFORM_ADMIN], "停用或启用用户"),
    permission("accounts:role:grant", [Role.PLATFORM_ADMIN], "授予或撤销角色"),
    permission(
        "accounts:application:create",
        [Role.PLATFORM_ADMIN, Role.PROVIDER_OFFICER, Role.CONSUMER_OFFICER],
        "登记应用",
    ),
    permission(
        "accounts:application:read",
        [Role.PLATFORM_ADMIN, Role.PROVIDER_OFFICER, Role.CONSUMER_OFFICER, Role.AUDITOR],
        "查看应用",
    ),
    permission(
        "accounts:application:manage_keys",
        [Role.PLATFORM_ADMIN, Role.PROVIDER_OFFICER, Role.CONSUMER_OFFICER],
        "管理应用密钥",
    ),
)
