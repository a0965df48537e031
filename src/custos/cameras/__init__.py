"""The camera registry: what is filmed, by whom, where, and for what stated purpose."""
