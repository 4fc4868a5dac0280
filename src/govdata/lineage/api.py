"""JSON API routes of the lineage area: (method, path, action, status)."""

ROUTES = (("GET", "/lineage", "lineage_graph", 200),)
