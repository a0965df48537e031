"""The transparency figures as data, for anyone: `/transparency/figures.json`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from custos.audit import checkpoint as checkpoints
from custos.deps import PUBLIC, RuntimeDep
from custos.http import answers
from custos.transparency import service
from custos.transparency.policy import published

router = APIRouter(prefix="/transparency", tags=["transparency"])


def computed(runtime: RuntimeDep) -> service.Computed:
    """The figures, recomputed from the verified log once per checkpoint, in a session that
    holds no writer up while the log is verified."""
    with runtime.reading() as session:
        verifier = checkpoints.log_signer(session, runtime.log_key).verifier
        return service.at_latest_checkpoint(session, verifier)


@router.get("/figures.json", dependencies=[PUBLIC], responses=answers(409))
def figures(runtime: RuntimeDep) -> JSONResponse:
    """Monthly figures recomputed from the verified audit log up to its latest checkpoint
    (named), counts below the profile's minimum shown as '< k': the same figures an offline
    recompute from an audit export gives (`custos transparency report --bundle`)."""
    return JSONResponse(public(computed(runtime), runtime))


def public(found: service.Computed, runtime: RuntimeDep) -> dict[str, object]:
    minimum = runtime.policy.profile.transparency.minimum_count
    return {
        "checkpoint": {"size": found.size, "root": found.root},
        "minimum_count": minimum,
        "figures": published(found.figures, minimum),
    }
