"""Who may call the query and verification services.

A keyed application of the grantee department holding the consumer officer role
there calls them with signed requests; a consumer officer of that department may
call them from the portal's test console on behalf of one of its applications.
The grant itself (application whitelist, methods, period, status, quotas) then
decides the call."""

from govdata.authz import Role, permission

CALL_PERMISSION = "sharing:service:call"

PERMISSIONS = (permission(CALL_PERMISSION, [Role.CONSUMER_OFFICER], "调用共享查询和核验接口"),)
