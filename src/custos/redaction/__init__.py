"""Redaction: find faces, plates and people, track them, and mask everyone not to be seen."""
