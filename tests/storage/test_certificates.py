"""The content-signing identity: a root and a document-signing certificate under it, 0600."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from custos.errors import ConfigError, NotInitialised
from custos.storage.certificates import (
    DOCUMENT_SIGNING,
    ROOT_CERT,
    SIGNING_CERT,
    SIGNING_KEY,
    create_content_identity,
    load_content_signer,
)

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def test_the_signing_certificate_is_issued_by_the_root_for_document_signing(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "keys"
    assert create_content_identity(keys, "City of Almaty", NOW)
    for path in keys.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    signer = load_content_signer(keys)
    root = x509.load_pem_x509_certificate(signer.root_pem)
    (signing,) = x509.load_pem_x509_certificates(signer.chain_pem)

    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not signing.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert signing.issuer == root.subject != signing.subject  # not self-signed
    signing.verify_directly_issued_by(root)
    usage = signing.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert not usage.key_cert_sign
    assert list(signing.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        DOCUMENT_SIGNING
    ]
    authority = signing.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    root_key_id = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert authority.key_identifier == root_key_id.digest
    assert signing.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    organisation = signing.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    assert [attribute.value for attribute in organisation] == ["City of Almaty"]
    assert signing.version is x509.Version.v3
    assert isinstance(signing.public_key(), ec.EllipticCurvePublicKey)
    assert signing.not_valid_before_utc <= NOW < signing.not_valid_after_utc


def test_made_once_and_never_replaced(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert create_content_identity(keys, "City of Almaty", NOW)
    before = (keys / SIGNING_CERT).read_bytes()
    assert not create_content_identity(keys, "Another name", NOW)
    assert (keys / SIGNING_CERT).read_bytes() == before


def test_a_half_identity_is_refused_not_completed(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    create_content_identity(keys, "City of Almaty", NOW)
    (keys / SIGNING_KEY).unlink()
    with pytest.raises(ConfigError, match="incomplete"):
        create_content_identity(keys, "City of Almaty", NOW)
    with pytest.raises(NotInitialised, match="custos init"):
        load_content_signer(keys)


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    create_content_identity(keys, "City of Almaty", NOW)
    (keys / ROOT_CERT).chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_content_signer(keys)
