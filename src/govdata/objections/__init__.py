"""Objections (G6): consumers report problem data, holders answer, authorities escalate."""
