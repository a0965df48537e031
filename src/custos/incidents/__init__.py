"""Incidents: marked stretches of footage that the law keeps longer, for a stated reason."""
