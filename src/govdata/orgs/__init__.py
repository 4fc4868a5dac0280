"""Organisations: administrative regions (GB/T 2260) and departments (GB 32100)."""
