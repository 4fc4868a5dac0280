"""Chinese full-text search of the published catalog, with facets (C7).

The index is a rebuildable copy of the database: :mod:`.model` holds the
shapes that cross its boundary; the index itself lives in :mod:`.index`.
"""
