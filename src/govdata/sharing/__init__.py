"""Sharing (S1, S5): applications, their review, the grants they yield, data return."""
