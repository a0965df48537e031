"""Periodic work inside `custos serve`: signing checkpoints of the audit log."""

from __future__ import annotations

import logging
import threading

from custos.audit import checkpoint as checkpoints
from custos.errors import CustosError
from custos.runtime import Runtime

log = logging.getLogger(__name__)


def sign_checkpoints(runtime: Runtime, stop: threading.Event, every_seconds: float) -> None:
    """Sign a checkpoint every `every_seconds` while the log grows, until `stop` is set."""
    while not stop.wait(every_seconds):
        try:
            with runtime.sessions() as session:
                signed = checkpoints.sign_checkpoint(
                    session, runtime.clock, runtime.log_signer(session), only_if_grown=True
                )
            if signed is not None:
                log.info("signed checkpoint #%s at %s entries", signed.id, signed.tree_size)
        except CustosError as error:
            # A log that no longer matches its own checkpoints must be looked at by a person.
            log.critical("checkpoint not signed: %s", error.message)
        except Exception:
            log.exception("checkpoint signing failed; trying again later")
