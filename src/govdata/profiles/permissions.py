"""Who may build and read profiles (one person one file, one enterprise one file).

Profiles belong to the organisation that builds them (the data authority's
region) and are checked against it. Building reads the member sources inside
the platform, so the builder must hold ``profile:manage`` over each source's
department too. Reading a profile is a read of data: after ``profile:read`` the
grade of every contributing source decides (X2), and every read is recorded.
"""

from govdata.authz import Role, permission

PERMISSIONS = (
    permission(
        "profile:manage",
        [Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN],
        "建立和更新一人一档、一企一档",
    ),
    permission(
        "profile:read",
        [Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN, Role.AUDITOR],
        "查看和检索一人一档、一企一档",
    ),
)
