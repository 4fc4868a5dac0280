"""Reading through an access grant, for roles the grade policy lets use grants.

Unscoped: the caller's organisation is not the holder's, so the scope test of the
holder's own permission cannot pass; the grade decision then requires a live grant
to an organisation where the caller holds the role.
"""

from govdata.access.policy import grant_roles
from govdata.authz import permission

GRANT_PERMISSION = "access:grant:use"

PERMISSIONS = (
    permission(
        GRANT_PERMISSION,
        sorted(grant_roles()),
        "凭共享授权读取其他部门的数据",
        scoped=False,
    ),
)
