"""The chain of custody of exported footage: every audit entry that touched it, in order.

Sealed (each source segment's sealing entry), held, requested, approved, viewed, unmasked and
exported: the entries of the grant, the request it answers, the holds of its case and the
sealing of its segments. The package carries each of them with its inclusion proof, so the
report is checked like the rest; `custody.html` is the page a person reads and `custody.pdf`
the same report to print or file.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from sqlalchemy.orm import Session

from custos.audit.canonical import EntryRecord
from custos.audit.log import record_of
from custos.audit.service import EntryFilter, entries_at, find_entries
from custos.pdf import table_report

CUSTODY_FILE = "custody.html"
CUSTODY_PDF = "custody.pdf"
ALL = 100_000  # the entries of one case are far fewer


def custody_entries(
    session: Session, *, case_ref: str, grant_ref: str, request_id: int, sealing: Sequence[int]
) -> list[EntryRecord]:
    """The entries that touched the footage of one grant, in the log's order: those that name
    its segments as collected (at positions `sealing`), then the case's own."""
    found = {entry.seq: record_of(entry) for entry in entries_at(session, sealing)}
    for entry in find_entries(session, EntryFilter(case_ref=case_ref), limit=ALL):
        if (
            entry.grant_ref == grant_ref
            or (entry.event == "access.requested" and entry.object_id == str(request_id))
            or entry.event.startswith("hold.")
        ):
            found[entry.seq] = record_of(entry)
    return [found[seq] for seq in sorted(found)]


WHAT = {
    "recording.segment_sealed": "sealed",
    "recording.segments_collected": "sealed",
    "access.requested": "requested",
    "access.approved": "approved",
    "footage.viewing_opened": "viewed",
    "footage.viewing_closed": "viewed",
    "footage.viewed": "viewed",
    "footage.track_linked": "unmasked",
    "footage.track_unlinked": "masked again",
    "export.created": "exported",
}


HEADINGS = ("Entry", "Time", "What", "Event", "Who", "Object", "Recipient", "Outcome", "Details")
WIDTHS = (4, 9, 6, 13, 11, 10, 9, 5, 33)  # the PDF's column shares


def custody_rows(entries: Sequence[EntryRecord]) -> list[list[str]]:
    """One row of cells per entry, under `HEADINGS`."""
    rows = []
    for entry in entries:
        what = WHAT.get(entry.event) or (
            "held" if entry.event.startswith("hold.") else entry.action
        )
        details = entry.details
        rows.append(
            [
                str(entry.seq),
                entry.at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                what,
                entry.event,
                f"{entry.actor} ({entry.actor_role or 'system'})",
                f"{entry.object_type or ''} {entry.object_id or ''}".strip(),
                entry.recipient or "",
                entry.outcome,
                details if len(details) <= 400 else details[:400] + "…",
            ]
        )
    return rows


INTRO = (
    "Every entry of the audit log that touched this footage, in the log's order. Each one is "
    "in audit/proofs.json with its inclusion proof under audit/checkpoint.txt; "
    "verify_package.py checks them all."
)


def custody_pdf(title: str, entries: Sequence[EntryRecord]) -> bytes:
    """The report as a PDF document, for those who file paper."""
    return table_report(title, INTRO, HEADINGS, custody_rows(entries), widths=WIDTHS, footer=title)


def custody_page(title: str, entries: Sequence[EntryRecord]) -> str:
    """The report as a self-contained HTML page (no script, no outside resource)."""
    rows = [
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
        for cells in custody_rows(entries)
    ]
    head = "".join(f"<th>{h}</th>" for h in HEADINGS)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font: 13px/1.4 system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #999; padding: 4px 6px; text-align: left; vertical-align: top; }}
td:last-child {{ font-family: monospace; font-size: 11px; word-break: break-all; }}
td:nth-child(2) {{ white-space: nowrap; }}
</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(INTRO)}</p>
<table><thead><tr>{head}</tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""
