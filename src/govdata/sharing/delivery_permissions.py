"""Who receives granted data in bulk or by subscription (S3, S4).

The grantee department's consumer officers start deliveries, download them and
manage subscriptions, at their own department; the parties, their authorities and
auditors follow deliveries and subscriptions with ``sharing:read``.
"""

from govdata.authz import Role, permission

PERMISSIONS = (
    permission(
        "sharing:receive",
        [Role.CONSUMER_OFFICER],
        "接收共享数据（批量交付、订阅）",
    ),
)
