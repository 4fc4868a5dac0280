"""Readers for every kind of data source; :func:`open_reader` picks one."""
