"""Custos: video monitoring with the law's guarantees enforced by the software."""

__version__ = "0.1.0"
