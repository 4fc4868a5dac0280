"""Data quality: rules per resource, one-scan evaluation, scores by GB/T 36344 dimension."""
