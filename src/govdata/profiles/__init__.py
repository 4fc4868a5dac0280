"""One person one file, one enterprise one file: linking records of many sources into profiles."""
