"""The README a recipient finds in a package: what it holds and how to check it offline."""

from __future__ import annotations

from typing import Any

README_FILE = "README.txt"


def readme(manifest: dict[str, Any]) -> str:
    """The recipient's README for a package described by `manifest` (before it is sealed)."""
    export, case, recipient = manifest["export"], manifest["case"], manifest["recipient"]
    grant = manifest["grant"]
    asked, approved = grant["requested_by"], grant["approved_by"]
    to = recipient["name"] + (f", {recipient['organisation']}" if recipient["organisation"] else "")
    videos = "\n".join(
        f"  {r['file']}  {r['camera']}, {r['from']} to {r['to']}" for r in manifest["ranges"]
    )
    return f"""EVIDENCE PACKAGE: export {export["id"]} of case {case["reference"]}

For:            {to} ({recipient["role"]})
Legal basis:    {case["legal_basis"]}
Grant:          {grant["reference"]}, asked by {asked}, approved by {approved}
Purpose:        {grant["purpose"]}
Made:           {export["made_at"]} by {export["made_by"]}

THE VIDEOS (plain MP4, H.264; everyone not made visible by the grant is masked in the pixels)

{videos}

WHAT ELSE IS HERE

  custody.pdf, custody.html  every audit-log entry that touched this footage, in order
  manifest.json              the export's record and the SHA-256 of every other file
  manifest.sig               the manifest's signature by the operator's export key
  audit/checkpoint.txt       a signed checkpoint of the operator's public audit log
  audit/proofs.json          inclusion proofs of the entries, under that checkpoint
  keys/                      the log key, the export key, the content-credentials root
  verify_package.py          the checker: Python 3.10+ and the `cryptography` package

HOW TO CHECK IT (offline, nothing to install but `cryptography`)

  1. python3 verify_package.py .
       Every file as sealed, the manifest signed, the checkpoint signed, every entry in
       the log. It prints one line per check and exits 0 only if all hold.
  2. python3 verify_package.py . --log-key log.vkey
       With the log key you fetched yourself from the operator's /transparency/key: a
       package carrying another log's key fails.
  3. Check each video's C2PA content credentials with any C2PA reader, giving it the root
     from the operator's /transparency/content-root.pem as trust anchor: each must read
     Trusted. (`custos verify . --root content-root.pem` does steps 1 and 3 at once.)

If a check fails, its line names the item: do not rely on the package, and ask the
operator for a new link. Every download of this package is recorded in the audit log.
"""
