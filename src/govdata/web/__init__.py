"""HTTP adapters: the JSON API, the portal, middleware and error rendering."""
