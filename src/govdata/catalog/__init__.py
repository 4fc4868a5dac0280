"""The catalog system (数据目录系统): entries, review, versions, search, export."""
