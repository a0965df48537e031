"""C2PA content credentials on exported video: who signed it, what it was made from, what
was masked and when.

The signature is the deployment's signing certificate (`storage.certificates`), under the
root a recipient is given. The source segments are one `parentOf` ingredient opened by
`c2pa.opened`, described by hash only (their footage is never embedded: it is unmasked), and
listed one by one in the `org.custos.sources` assertion. The masking is `c2pa.edited`, its
time ranges as temporal regions. (`c2pa.redacted` would mean removing assertions, not
masking pixels.)
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import c2pa

from custos import __version__
from custos.errors import InvalidInput
from custos.storage.certificates import ContentSigner

# The extended key usages a reader accepts for a signer: document signing, which the signing
# certificate carries (without a list, the C2PA library admits none of its own choosing).
ACCEPTED_USAGES = "1.3.6.1.5.5.7.3.36\n"
SOURCES_LABEL = "org.custos.sources"
MASKING_LABEL = "org.custos.masking"
MIME = "video/mp4"


@dataclass(frozen=True)
class SourceSegment:
    """A sealed segment a video was made from, as the credentials name it."""

    segment_id: str
    camera: str
    start: str  # ISO 8601
    end: str
    ciphertext_digest: str


@dataclass(frozen=True)
class MaskedRange:
    """Seconds of the video in which `what` was masked."""

    start_s: float
    end_s: float
    what: str


def _context(root_pem: bytes | None) -> c2pa.Context:
    trust: dict[str, Any] = {"trust_config": ACCEPTED_USAGES}
    if root_pem is not None:
        trust["user_anchors"] = root_pem.decode()
    return c2pa.Context.from_dict({"trust": trust, "verify": {"verify_trust": True}})


def definition(
    title: str,
    sources: Sequence[SourceSegment],
    masked: Sequence[MaskedRange],
    masking: dict[str, Any],
) -> dict[str, Any]:
    """The manifest the credentials carry."""
    if not sources:
        raise InvalidInput("an exported video needs the segments it was made from")
    first, last = sources[0], sources[-1]
    return {
        "claim_generator_info": [{"name": "Custos", "version": __version__}],
        "title": title,
        "format": MIME,
        "ingredients": [
            {
                "title": f"sealed footage of {first.camera}, {first.start} to {last.end}",
                "format": MIME,
                "relationship": "parentOf",
                "label": "sources",
                "instance_id": "custos:segments:" + ",".join(str(s.segment_id) for s in sources),
            }
        ],
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.opened",
                            "description": "decoded from sealed segments, named by hash only",
                            "parameters": {"ingredientIds": ["sources"]},
                        },
                        {
                            "action": "c2pa.edited",
                            "description": "people and plates not made visible by the grant "
                            "masked; privacy zones blacked out",
                            "changes": [
                                {
                                    "region": [
                                        {
                                            "type": "temporal",
                                            "time": {
                                                "type": "npt",
                                                "start": f"{r.start_s:.3f}",
                                                "end": f"{r.end_s:.3f}",
                                            },
                                        }
                                    ],
                                    "description": r.what,
                                }
                                for r in masked
                            ],
                        },
                    ]
                },
            },
            {
                "label": SOURCES_LABEL,
                "data": {
                    "segments": [
                        {
                            "id": s.segment_id,
                            "camera": s.camera,
                            "start": s.start,
                            "end": s.end,
                            "ciphertext_digest": s.ciphertext_digest,
                        }
                        for s in sources
                    ]
                },
            },
            {"label": MASKING_LABEL, "data": masking},
        ],
    }


def sign_video(signer: ContentSigner, source: Path, target: Path, manifest: dict[str, Any]) -> None:
    """Write `source` (a plain, non-fragmented MP4) to `target` with signed credentials."""
    info = c2pa.C2paSignerInfo(signer.algorithm, signer.chain_pem, signer.key_pem, None)
    with (
        c2pa.Signer.from_info(info) as c2pa_signer,
        c2pa.Builder(manifest, _context(signer.root_pem)) as builder,
        source.open("rb") as reading,
    ):
        written = io.BytesIO()
        builder.sign(c2pa_signer, MIME, reading, written)
    target.write_bytes(written.getvalue())


@dataclass(frozen=True)
class Credentials:
    """What a reader makes of a video's credentials."""

    state: str  # "Trusted", "Valid" (sound, signer not trusted) or "Invalid"
    failures: list[str]  # the validation codes that failed
    manifest: dict[str, Any] | None  # the active manifest, where there is one


def read_credentials(path: Path, root_pem: bytes | None) -> Credentials:
    """Validate `path`'s credentials, trusting signers under `root_pem`."""
    try:
        with (
            path.open("rb") as reading,
            c2pa.Reader(MIME, reading, None, _context(root_pem)) as reader,
        ):
            state = reader.get_validation_state() or "Invalid"
            results = reader.get_validation_results() or {}
            manifest = reader.get_active_manifest()
    except c2pa.C2paError as error:
        return Credentials("Invalid", [f"no readable credentials: {error}"], None)
    failures = [
        f"{item.get('code')}: {item.get('explanation', '')}"
        for item in results.get("activeManifest", {}).get("failure", [])
    ]
    return Credentials(state, failures, manifest)
