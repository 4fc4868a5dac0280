"""Benchmarks: each prints its result as a ratio to a baseline measured in the same run."""
