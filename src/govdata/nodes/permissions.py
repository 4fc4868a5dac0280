"""Who may see node identity."""

from govdata.authz import Role, permission

PERMISSIONS = (permission("nodes:node:read", [Role.PUBLIC], "查看节点信息", scoped=False),)
