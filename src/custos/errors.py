"""The Custos error tree.

Every failure a user can cause or meet is one of these; `web` turns each into an HTTP status
in one place and `cli` into an exit code in one place.

    CustosError
    ├── ConfigError        settings or policy file invalid: the system must not start
    ├── NotInitialised     the data folder or database has not been set up by `custos init`
    ├── InvalidInput       a request or command carries malformed data
    │   ├── UnsupportedMedia   a file that is not a video or picture Custos will read (empty,
    │   │                      damaged, over the pixel limit), or an output it cannot write
    │   └── SourceUnusable     a camera source that gives no picture now (unreachable, refused)
    ├── NotFound           the named object does not exist
    ├── Conflict           the object exists already, or its state does not allow the action
    ├── Unauthenticated    no credentials, or credentials that do not check out
    ├── Forbidden          authenticated, but the role is not admitted here
    │   ├── PasswordChangeRequired   signed in with a one-time password: change it first
    │   └── SecondFactorRequired     the act needs a code from the caller's authenticator
    ├── PolicyViolation    a legal rule refuses the action
    ├── TamperDetected     stored data does not match its digest or signature
    └── StorageError       the blob store or disk refused: full, unreachable, blob missing
"""

from __future__ import annotations


class CustosError(Exception):
    """Base of every error Custos raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(CustosError):
    """A setting or policy file is invalid; the message names the key and the reason."""


class NotInitialised(CustosError):
    """The data folder or database is missing or not migrated."""


class InvalidInput(CustosError):
    """Input is malformed; `field` names the offending field when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnsupportedMedia(InvalidInput):
    """A file is not a video or picture Custos will read: wrong kind, empty, damaged, no video
    in it, or larger than the pixel limit; the message names it by its kind."""


class SourceUnusable(InvalidInput):
    """A camera source, tried before it is registered or changed, delivers no picture now."""


class NotFound(CustosError):
    """The named object does not exist."""


class Conflict(CustosError):
    """The object exists already, or its current state does not allow the action."""


class Unauthenticated(CustosError):
    """No credentials were given, or they do not check out."""


class Forbidden(CustosError):
    """The caller is known but their role is not admitted to this action."""


class PolicyViolation(CustosError):
    """A legal rule refuses the action; the message names the rule."""


class TamperDetected(CustosError):
    """Stored data does not match its recorded hash or signature."""


class StorageError(CustosError):
    """The blob store or the disk refused a read or write (full, unreachable, missing blob)."""


class PasswordChangeRequired(Forbidden):
    """The caller signed in with a one-time password and must choose their own first."""


class SecondFactorRequired(Forbidden):
    """The caller must give a code of their second factor (or enrol one) before this."""

    def __init__(self, message: str, enrol: bool = False) -> None:
        super().__init__(message)
        self.enrol = enrol
