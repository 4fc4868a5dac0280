"""Holiday arrangements shipped with govdata (read with importlib.resources)."""
