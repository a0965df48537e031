"""Requests of the people filmed for the footage of themselves (data-subject access)."""
