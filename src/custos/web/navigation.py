"""Where a browser goes back to: local paths only."""

from __future__ import annotations

HOME = "/cameras"


def safe_next(target: str) -> str:
    """`target` if it is a path on this site, else the home page.

    Only local paths: an open redirect after sign-in is a phishing aid.
    """
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME
