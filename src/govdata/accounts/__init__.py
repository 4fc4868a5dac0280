"""Accounts: people, applications, role grants, login sessions and API keys."""
