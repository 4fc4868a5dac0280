"""JSON API routes of the nodes area."""

ROUTES = (("GET", "/node", "node_show", 200),)
