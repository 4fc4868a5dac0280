"""Reference data shipped with govdata (read with importlib.resources)."""
