"""Access to graded data (X2): who may read data of which grade, decided from data.

``policy`` holds the table (role × relation to the holder → highest grade) and the
pure decision; ``grants`` the explicit access grants the decision takes; ``enforce``
what actions call. See docs/decisions/0010-grade-authorisation.md.
"""
