"""Camera health: what each camera is doing, alerts when one is down too long, the figures."""
