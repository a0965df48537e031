"""An inspection as a signed report: JSON with a signature by the log's key over its SHA-256
(a C2SP signed note anyone checks with `/transparency/key`), and the same as a PDF."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from custos.audit import checkpoint as checkpoints
from custos.audit import log
from custos.audit.note import Note
from custos.inspection.policy import Finding
from custos.pdf import table_report

FORMAT = "custos-inspection/1"
NOTE = "custos-inspection-report/1"


def report(
    session: Session, log_key: bytes, at: datetime, findings: list[Finding]
) -> dict[str, Any]:
    """The findings with where the log stood, signed by the log's key."""
    body = {
        "format": FORMAT,
        "at": at.isoformat(),
        "log": {"origin": log.origin(session), "size": log.size(session)},
        "findings": [asdict(f) for f in findings],
    }
    digest = hashlib.sha256(canonical(body)).hexdigest()
    text = f"{NOTE}\n{digest}\n"
    signer = checkpoints.log_signer(session, log_key)
    return {**body, "sha256": digest, "signature": Note(text, (signer.sign(text),)).serialise()}


def canonical(body: dict[str, Any]) -> bytes:
    """The bytes the signature covers: the report without its hash and signature, as compact
    JSON with sorted keys."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def report_pdf(signed: dict[str, Any]) -> bytes:
    """The signed report as a PDF, its hash and signature printed under the title."""
    rows = [[f["severity"], f["rule"], f["subject"], f["detail"]] for f in signed["findings"]]
    intro = (
        f"Inspection of {signed['log']['origin']} at {signed['at']}, the audit log holding "
        f"{signed['log']['size']} entries: {len(rows)} finding(s). SHA-256 of the report: "
        f"{signed['sha256']}. Signed by the log's key:\n{signed['signature']}"
    )
    return table_report(
        "Compliance inspection",
        intro,
        ("Severity", "Rule", "Subject", "What was seen"),
        rows or [["—", "—", "—", "no finding"]],
        widths=(8, 16, 16, 60),
    )
