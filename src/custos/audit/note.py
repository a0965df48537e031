"""C2SP signed notes, checkpoints and Ed25519 cosignatures. Pure: no I/O.

A note is text ending in a newline, a blank line, and signature lines
`— <key name> base64(key id || signature)`. The key id is the first four bytes of
SHA-256(name || "\\n" || algorithm byte || public key): 0x01 for a note signed with Ed25519
(the log's checkpoints), 0x04 for an Ed25519 cosignature (witnesses, C2SP tlog-cosignature,
which also puts a big-endian u64 timestamp before the signature and signs
"cosignature/v1\\ntime <t>\\n" followed by the checkpoint text).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
COSIGNATURE_ED25519 = 0x04
DASH = "\u2014"


class NoteError(ValueError):
    """A note, key or checkpoint that does not parse or does not verify."""


def key_id(name: str, algorithm: int, public_key: bytes) -> bytes:
    """The 4-byte key id of a named key."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A named public key that checks note signatures (or cosignatures)."""

    name: str
    algorithm: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        """This key's id."""
        return key_id(self.name, self.algorithm, self.public_key)

    def vkey(self) -> str:
        """The verifier key in C2SP form: name+hex key id+base64(algorithm || key)."""
        material = base64.b64encode(bytes([self.algorithm]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"


def parse_vkey(text: str) -> Verifier:
    """Read a C2SP verifier key."""
    try:
        # Key names cannot contain "+"; base64 can, so split from the left.
        name, hex_id, material = text.strip().split("+", 2)
        raw = base64.b64decode(material, validate=True)
    except (ValueError, binascii.Error):
        raise NoteError("not a verifier key: expected name+keyid+base64") from None
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_ED25519):
        raise NoteError("only Ed25519 verifier keys are supported")
    verifier = Verifier(name, raw[0], raw[1:])
    if verifier.key_id.hex() != hex_id:
        raise NoteError(f"verifier key for {name}: the key id does not match the key")
    return verifier


@dataclass(frozen=True)
class Signature:
    """One signature line of a note."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """The line, with its newline."""
        return f"{DASH} {self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"


@dataclass(frozen=True)
class Note:
    """The signed text and its signature lines."""

    text: str
    signatures: tuple[Signature, ...]

    def serialise(self) -> str:
        """The note as transmitted."""
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


def parse_note(raw: str) -> Note:
    """Split a signed note into its text and signatures."""
    cut = raw.rfind("\n\n")
    if cut < 0 or not raw.endswith("\n"):
        raise NoteError("not a signed note: no blank line before the signatures")
    text, lines = raw[: cut + 1], raw[cut + 2 :].splitlines()
    signatures = []
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise NoteError(f"malformed signature line: {line[:80]!r}")
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            raise NoteError("a signature is not valid base64") from None
        if base64.b64encode(blob).decode() != parts[2]:
            # Base64 leaves the low bits of its last character unused: a signed note is read
            # in one spelling only, so no byte of it can change and still verify.
            raise NoteError("a signature is not in canonical base64")
        if len(blob) < 5:
            raise NoteError("a signature is too short")
        signatures.append(Signature(parts[1], blob[:4], blob[4:]))
    if not signatures:
        raise NoteError("the note carries no signature")
    return Note(text, tuple(signatures))


class NoteSigner:
    """An Ed25519 key that signs notes (algorithm 0x01) or cosigns checkpoints (0x04)."""

    def __init__(self, name: str, private_key: bytes, algorithm: int = ED25519) -> None:
        self.name = name
        self.algorithm = algorithm
        self._key = Ed25519PrivateKey.from_private_bytes(private_key)
        public = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.verifier = Verifier(name, algorithm, public)

    def sign(self, text: str) -> Signature:
        """Sign note text (algorithm 0x01)."""
        return Signature(self.name, self.verifier.key_id, self._key.sign(text.encode()))

    def cosign(self, checkpoint_text: str, timestamp: int) -> Signature:
        """A tlog-cosignature/v1 over `checkpoint_text` at POSIX time `timestamp` (0x04 keys)."""
        message = _cosigned_message(checkpoint_text, timestamp)
        stamp = struct.pack(">Q", timestamp)
        return Signature(self.name, self.verifier.key_id, stamp + self._key.sign(message))


def _cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


def verify(note: Note, verifier: Verifier) -> bool:
    """Whether `note` carries a valid signature by `verifier` (a 0x01 key)."""
    public = Ed25519PublicKey.from_public_bytes(verifier.public_key)
    for signature in note.signatures:
        if signature.name == verifier.name and signature.key_id == verifier.key_id:
            try:
                public.verify(signature.signature, note.text.encode())
                return True
            except InvalidSignature:
                return False
    return False


def verify_cosignature(checkpoint_text: str, signature: Signature, verifier: Verifier) -> int:
    """Check a cosignature by `verifier`; returns its timestamp, or raises NoteError."""
    if signature.name != verifier.name or signature.key_id != verifier.key_id:
        raise NoteError(f"the cosignature is not by {verifier.name}")
    if len(signature.signature) != 8 + 64:
        raise NoteError("a cosignature is a timestamp and a 64-byte signature")
    (timestamp,) = struct.unpack(">Q", signature.signature[:8])
    public = Ed25519PublicKey.from_public_bytes(verifier.public_key)
    try:
        public.verify(signature.signature[8:], _cosigned_message(checkpoint_text, timestamp))
    except InvalidSignature:
        raise NoteError(f"the cosignature by {verifier.name} does not verify") from None
    return int(timestamp)


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin, size and root hash (C2SP tlog-checkpoint)."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        """The checkpoint body that gets signed."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint body (extension lines are allowed and ignored)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint has an origin, a size and a root hash line")
    origin, size, root = lines[0], lines[1], lines[2]
    if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise NoteError("malformed checkpoint origin or size")
    try:
        digest = base64.b64decode(root, validate=True)
    except binascii.Error:
        raise NoteError("the checkpoint root is not base64") from None
    if len(digest) != 32:
        raise NoteError("the checkpoint root is not a SHA-256 hash")
    return Checkpoint(origin, int(size), digest)
