"""Audit vocabulary: the actions and outcomes an entry may carry (Directive 2016/680 art. 25)."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What kind of processing an entry records."""

    COLLECT = "collect"
    ALTER = "alter"
    CONSULT = "consult"
    DISCLOSE = "disclose"
    COMBINE = "combine"
    ERASE = "erase"
    CONFIGURE = "configure"
    AUTHENTICATE = "authenticate"


class Outcome(StrEnum):
    """How the action ended."""

    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"
