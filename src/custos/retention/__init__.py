"""Retention: what is kept, how long, why, and provable deletion when the time comes."""
