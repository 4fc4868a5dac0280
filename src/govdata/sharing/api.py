"""JSON API routes of the sharing area: (method, path, action, status)."""

ROUTES = (
    ("GET", "/sharing/applications", "share_application_list", 200),
    ("POST", "/sharing/applications", "share_apply", 201),
    ("GET", "/sharing/applications/{id}", "share_application_get", 200),
    ("POST", "/sharing/applications/{id}/review", "share_review", 200),
    ("POST", "/sharing/applications/{id}/escalate", "share_escalate", 200),
    ("POST", "/sharing/applications/{id}/decide", "share_decide", 200),
    ("GET", "/sharing/grounds", "share_grounds_list", 200),
    ("PUT", "/sharing/grounds", "share_grounds_set", 200),
    ("GET", "/sharing/grants", "grant_list", 200),
    ("GET", "/sharing/grants/{id}", "grant_get", 200),
    ("POST", "/sharing/grants/{id}/suspend", "grant_suspend", 200),
    ("POST", "/sharing/grants/{id}/resume", "grant_resume", 200),
    ("POST", "/sharing/grants/{id}/renew", "grant_renew", 200),
    ("POST", "/sharing/grants/{id}/revoke", "grant_revoke", 200),
    ("POST", "/sharing/returns", "share_return", 201),
)
