"""Recording: live cameras into sealed, indexed segments."""
