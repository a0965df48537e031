"""Prepared detections: the tracks of a grant's footage, found ahead of playing it."""
