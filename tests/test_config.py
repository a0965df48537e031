"""Settings: defaults, sources and their order, and a clear stop on any bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from custos.config import (
    FolderBlobLocation,
    S3BlobLocation,
    Settings,
    load_settings,
    parse_blob_url,
)
from custos.errors import ConfigError


def test_defaults_put_everything_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUSTOS_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.database == f"sqlite:///{tmp_path.resolve()}/custos.db"
    assert settings.blob_location == FolderBlobLocation(tmp_path.resolve() / "blobs")
    assert settings.kek_path == tmp_path / "keys" / "kek.key"
    assert settings.policy == "kz-nvms"


def test_environment_overrides_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "custos.toml"
    config.write_text('policy = "eu-edpb"\nsession_hours = 2\n')
    monkeypatch.setenv("CUSTOS_CONFIG", str(config))
    monkeypatch.setenv("CUSTOS_SESSION_HOURS", "4")
    settings = load_settings()
    assert settings.policy == "eu-edpb"
    assert settings.session_hours == 4


def test_unknown_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTOS_DATABSE_URL", "sqlite:///x.db")
    with pytest.raises(ConfigError, match="unknown setting CUSTOS_DATABSE_URL"):
        load_settings()


def test_unknown_key_in_settings_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "custos.toml"
    config.write_text('data_dir = "/srv/custos"\nretention_dayz = 30\n')
    with pytest.raises(ConfigError, match=r"unknown setting 'retention_dayz' in .*custos\.toml"):
        load_settings(config)


def test_settings_file_with_broken_syntax_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "custos.toml"
    config.write_text('policy = "kz-nvms\n')
    with pytest.raises(ConfigError, match=r"custos\.toml is not valid TOML"):
        load_settings(config)


def test_missing_settings_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("session_hours", "-1", "greater than 0"),
        ("cookie_secure", "perhaps", "valid boolean"),
        ("database_url", "mysql://db", "must start with sqlite:// or postgresql://"),
        ("blob_url", "ftp://host/x", "must be a folder path"),
        ("blob_url", "s3://Bad_Bucket/x", "not a valid S3 bucket name"),
        ("policy", "KZ NVMS", "shipped profile name"),
        ("log_format", "xml", "'text' or 'json'"),
    ],
)
def test_bad_value_names_the_key_and_the_variable(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, reason: str
) -> None:
    monkeypatch.setenv(f"CUSTOS_{key.upper()}", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert f"invalid setting '{key}' (from CUSTOS_{key.upper()})" in caught.value.message
    assert reason in caught.value.message


def test_bad_value_in_file_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "custos.toml"
    config.write_text("session_hours = 0\n")
    with pytest.raises(
        ConfigError, match=r"invalid setting 'session_hours' \(from .*custos\.toml\)"
    ):
        load_settings(config)


def test_postgres_url_gets_the_psycopg_driver() -> None:
    settings = Settings(database_url="postgresql://custos@db.example/custos")
    assert settings.database == "postgresql+psycopg://custos@db.example/custos"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://footage/city-a", S3BlobLocation("footage", "city-a")),
        ("s3://footage", S3BlobLocation("footage", "")),
        ("file:///srv/blobs", FolderBlobLocation(Path("/srv/blobs"))),
        ("/srv/blobs", FolderBlobLocation(Path("/srv/blobs"))),
    ],
)
def test_blob_urls(url: str, expected: object) -> None:
    assert parse_blob_url(url) == expected


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.policy = "other"  # type: ignore[misc]
