"""C2PA content credentials on an exported video: Trusted under the deployment's root, Invalid
once a byte changes, not trusted under another root; the sources named by hash only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from custos.exports.credentials import (
    SOURCES_LABEL,
    MaskedRange,
    SourceSegment,
    definition,
    read_credentials,
    sign_video,
)
from custos.recording.media import make_clip
from custos.storage.certificates import ContentSigner, create_content_identity, load_content_signer

NOW = dt.datetime.now(dt.UTC)  # c2pa signs with the real clock
SOURCES = [
    SourceSegment("s17", "gate", "2026-12-07T08:00:00Z", "2026-12-07T08:00:10Z", "ab" * 32),
    SourceSegment("s18", "gate", "2026-12-07T08:00:10Z", "2026-12-07T08:00:20Z", "cd" * 32),
]


def _identity(folder: Path, organisation: str = "City of Almaty") -> ContentSigner:
    create_content_identity(folder, organisation, NOW)
    return load_content_signer(folder)


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ContentSigner]:
    folder = tmp_path_factory.mktemp("credentials")
    signer = _identity(folder / "keys")
    clip = folder / "plain.mp4"
    make_clip(clip, 2, fps=15, width=320, height=240)
    manifest = definition(
        "gate 08:00:00-08:00:20",
        SOURCES,
        [MaskedRange(0.0, 1.5, "face, track 3"), MaskedRange(0.4, 2.0, "plate, track 4")],
        {"detector": "CenterFace", "threshold": 0.3},
    )
    target = folder / "signed.mp4"
    sign_video(signer, clip, target, manifest)
    return target, signer


def test_the_video_is_trusted_under_the_deployments_root(
    signed: tuple[Path, ContentSigner],
) -> None:
    video, signer = signed
    credentials = read_credentials(video, signer.root_pem)
    assert credentials.state == "Trusted", credentials.failures
    assert credentials.manifest is not None
    actions = next(
        a["data"]["actions"]
        for a in credentials.manifest["assertions"]
        if a["label"].startswith("c2pa.actions")
    )
    assert [action["action"] for action in actions] == ["c2pa.opened", "c2pa.edited"]
    assert len(actions[1]["changes"]) == 2
    assertions = credentials.manifest["assertions"]
    sources = next(a["data"] for a in assertions if a["label"] == SOURCES_LABEL)
    assert [s["ciphertext_digest"] for s in sources["segments"]] == ["ab" * 32, "cd" * 32]
    (ingredient,) = credentials.manifest["ingredients"]
    assert ingredient["relationship"] == "parentOf"
    assert "data" not in ingredient  # named, never embedded


def test_one_byte_changed_makes_it_invalid(
    signed: tuple[Path, ContentSigner], tmp_path: Path
) -> None:
    video, signer = signed
    data = bytearray(video.read_bytes())
    data[len(data) // 2] ^= 0x01
    changed = tmp_path / "changed.mp4"
    changed.write_bytes(bytes(data))
    credentials = read_credentials(changed, signer.root_pem)
    assert credentials.state == "Invalid"
    assert credentials.failures


def test_another_root_does_not_vouch_for_it(
    signed: tuple[Path, ContentSigner], tmp_path: Path
) -> None:
    video, _ = signed
    stranger = _identity(tmp_path / "other", "Somebody else")
    assert read_credentials(video, stranger.root_pem).state != "Trusted"


def test_a_video_without_credentials_is_invalid(tmp_path: Path) -> None:
    clip = tmp_path / "plain.mp4"
    make_clip(clip, 1, fps=15, width=320, height=240)
    credentials = read_credentials(clip, None)
    assert credentials.state == "Invalid"
    assert credentials.manifest is None
