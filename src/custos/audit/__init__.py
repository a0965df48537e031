"""Audit: every action leaves an entry, written in the same transaction as the action."""
