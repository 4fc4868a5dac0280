"""Aggregation (数据归集): data sources, load runs, quarantine and logical access."""
