"""The deployment's content-signing identity: a root CA and a signing certificate under it.

Exported footage carries C2PA content credentials signed with the signing certificate. C2PA
readers refuse a self-signed signer, so `custos init` makes a root (kept to issue the next
signing certificate) and an end-entity certificate for document signing under it, with the
organisation in its subject and authority and subject key identifiers. Every file is 0600 in
the key folder, beside the key-encryption key; a hardware or cloud signer can replace the
signing key later, since only `ContentSigner` reads it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from custos.errors import ConfigError
from custos.storage.keys import check_owner_only, write_owner_only

ROOT_KEY, ROOT_CERT = "content-root.key", "content-root.pem"
SIGNING_KEY, SIGNING_CERT = "content-signing.key", "content-signing.pem"
ROOT_YEARS, SIGNING_YEARS = 20, 5
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning, RFC 9336
ALGORITHM = "es256"  # ECDSA P-256 with SHA-256, as C2PA names it


@dataclass(frozen=True)
class ContentSigner:
    """What signs content credentials: the end-entity chain (PEM), its key and the root."""

    chain_pem: bytes
    key_pem: bytes
    root_pem: bytes
    algorithm: str = ALGORITHM


def create_content_identity(folder: Path, organisation: str, now: dt.datetime) -> bool:
    """Create the root and the signing certificate in `folder` unless they exist; True if made."""
    paths = [folder / name for name in (ROOT_KEY, ROOT_CERT, SIGNING_KEY, SIGNING_CERT)]
    if all(path.exists() for path in paths):
        return False
    if any(path.exists() for path in paths):
        present = ", ".join(path.name for path in paths if path.exists())
        raise ConfigError(
            f"the content-signing identity in {folder} is incomplete ({present} only): "
            "restore the missing files or remove these to make a new identity"
        )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} content root"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )
    root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(issuer=True), critical=True)
        .add_extension(root_ski, critical=False)
        .sign(root_key, hashes.SHA256())
    )
    signing_key = ec.generate_private_key(ec.SECP256R1())
    signing = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} evidence signing"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                ]
            )
        )
        .issuer_name(root_name)
        .public_key(signing_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * SIGNING_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(issuer=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING]), critical=False)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(signing_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    for path, data in (
        (folder / ROOT_KEY, _key_pem(root_key)),
        (folder / ROOT_CERT, root.public_bytes(serialization.Encoding.PEM)),
        (folder / SIGNING_KEY, _key_pem(signing_key)),
        (folder / SIGNING_CERT, signing.public_bytes(serialization.Encoding.PEM)),
    ):
        write_owner_only(path, data)
    return True


def load_content_signer(folder: Path) -> ContentSigner:
    """The signing certificate, its key and the root, refusing files others can read."""
    for name in (ROOT_CERT, SIGNING_KEY, SIGNING_CERT):
        check_owner_only(folder / name)
    return ContentSigner(
        chain_pem=(folder / SIGNING_CERT).read_bytes(),
        key_pem=(folder / SIGNING_KEY).read_bytes(),
        root_pem=(folder / ROOT_CERT).read_bytes(),
    )


def _usage(*, issuer: bool) -> x509.KeyUsage:
    """A root signs certificates and revocation lists; the signing certificate signs content."""
    return x509.KeyUsage(
        digital_signature=not issuer,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=issuer,
        crl_sign=issuer,
        encipher_only=False,
        decipher_only=False,
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
