"""Data elements (G7): shared field definitions with code lists, and conformance checks."""
