"""Settings: built once at start, validated strictly, passed down to everything that needs them.

Sources, strongest first: `CUSTOS_*` environment variables, then the TOML settings file named
by `--config` or `CUSTOS_CONFIG`, then the defaults below. An unknown key in either source, or a
value of the wrong shape, stops the system with a message naming the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from custos.errors import ConfigError

ENV_PREFIX = "CUSTOS_"
CONFIG_FILE_ENV = "CUSTOS_CONFIG"

_POLICY_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class FolderBlobLocation:
    """Blobs live in a local folder."""

    path: Path

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class S3BlobLocation:
    """Blobs live in an S3-compatible bucket, under `prefix`."""

    bucket: str
    prefix: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


BlobLocation = FolderBlobLocation | S3BlobLocation


class Settings(BaseSettings):
    """Every setting Custos reads; unknown keys are an error."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", frozen=True, case_sensitive=False
    )

    data_dir: Path = Field(
        default=Path("custos-data"),
        description="Folder for the SQLite database, local blobs and keys.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default SQLite in the data folder. "
        "PostgreSQL: postgresql://user@host/db.",
    )
    blob_url: str | None = Field(
        default=None,
        description="Where sealed segments go: a folder path, file:///path, or s3://bucket/prefix; "
        "default the folder 'blobs' in the data folder.",
    )
    queue_url: str | None = Field(
        default=None,
        pattern=r"^rediss?://",
        description="The job queue: a Redis URL (redis://host:6379/0) for workers on several "
        "machines; default a SQLite file (queue.db) in the data folder.",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="S3 API endpoint (SeaweedFS, Garage, Ceph RGW, ...); default AWS."
    )
    s3_region: str = Field(default="us-east-1", description="S3 region name.")
    s3_access_key_id: str | None = Field(default=None, description="S3 access key id.")
    s3_secret_access_key: SecretStr | None = Field(default=None, description="S3 secret key.")
    kek_file: Path | None = Field(
        default=None,
        description="Key-encryption key file (created 0600 by `custos init`); "
        "default keys/kek.key in the data folder.",
    )
    log_key_file: Path | None = Field(
        default=None,
        description="Ed25519 key that signs audit-log checkpoints (created 0600 by `custos init`); "
        "default keys/log-signing.key in the data folder.",
    )
    public_contact: str = Field(
        default="",
        max_length=256,
        description="Where the public asks about the cameras (the data protection officer's "
        "address, say), on the camera register; the organisation's name by default.",
    )
    organisation: str = Field(
        default="Custos",
        min_length=1,
        max_length=64,
        description="The operator's name, as the subject of the certificates that sign "
        "exported evidence (made by `custos init`).",
    )
    checkpoint_minutes: float = Field(
        default=10, gt=0, le=1440, description="How often `custos serve` signs a new checkpoint."
    )
    sweep_minutes: float = Field(
        default=5, gt=0, le=1440, description="How often `custos serve` runs the retention sweeper."
    )
    spool_megabytes: float = Field(
        default=256,
        gt=0,
        le=65536,
        description="Sealed footage each recorder keeps in memory while storage or the database "
        "refuses writes; beyond it, the time lost is recorded as a gap.",
    )
    recorder_capacity: int = Field(
        default=100,
        ge=1,
        le=10000,
        description="How many cameras one recorder process (`custos record`, `custos serve`) "
        "takes at most; measure a machine's with benchmarks/recorders.py.",
    )
    lease_seconds: float = Field(
        default=6,
        ge=3,
        le=300,
        description="How long a recorder's claim on a camera lasts without renewal; a recorder "
        "that stops renewing loses its cameras to the others this long after its last renewal.",
    )
    camera_down_alert_seconds: float = Field(
        default=120,
        gt=0,
        le=86400,
        description="A camera down for longer than this shows red and raises an alert.",
    )
    policy: str = Field(
        default="kz-nvms",
        description="Retention and access policy: a shipped profile name or a .toml file path.",
    )
    cookie_secure: bool = Field(
        default=True,
        description="Mark the session cookie Secure (browsers still accept it on localhost).",
    )
    session_hours: float = Field(
        default=8.0, gt=0, le=168, description="Lifetime of a login session in hours."
    )
    log_format: Literal["text", "json"] = Field(default="text", description="Log line format.")
    media_max_side: int = Field(
        default=8192,
        ge=16,
        le=65535,
        description="`custos redact` refuses a picture or video wider or taller than this many "
        "pixels, before decoding it.",
    )
    media_max_megapixels: float = Field(
        default=40,
        gt=0,
        le=4000,
        description="`custos redact` refuses a picture or video of more pixels than this "
        "(millions), before decoding it.",
    )

    @property
    def media_max_pixels(self) -> int:
        """`media_max_megapixels` in pixels."""
        return int(self.media_max_megapixels * 1_000_000)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        if value.startswith(("postgresql+psycopg://", "sqlite://")):
            return value
        raise ValueError("must start with sqlite:// or postgresql://")

    @field_validator("blob_url")
    @classmethod
    def _check_blob_url(cls, value: str | None) -> str | None:
        if value is not None:
            parse_blob_url(value)
        return value

    @field_validator("policy")
    @classmethod
    def _check_policy(cls, value: str) -> str:
        if not (_POLICY_NAME.match(value) or value.endswith(".toml")):
            raise ValueError(
                "must be a shipped profile name (lowercase letters, digits, dashes) "
                "or the path of a .toml file"
            )
        return value

    @property
    def database(self) -> str:
        """The database URL to connect to."""
        if self.database_url is not None:
            return self.database_url
        return f"sqlite:///{self.data_dir.resolve() / 'custos.db'}"

    @property
    def blob_location(self) -> BlobLocation:
        """Where blobs are stored."""
        if self.blob_url is None:
            return FolderBlobLocation(self.data_dir.resolve() / "blobs")
        return parse_blob_url(self.blob_url)

    @property
    def log_key_path(self) -> Path:
        """The audit-log signing key file."""
        if self.log_key_file is not None:
            return self.log_key_file
        return self.data_dir / "keys" / "log-signing.key"

    @property
    def content_keys_dir(self) -> Path:
        """Where the certificates that sign exported content are kept: beside the KEK."""
        return self.kek_path.parent

    @property
    def export_key_path(self) -> Path:
        """The Ed25519 key that signs export manifests, published beside the log key."""
        return self.content_keys_dir / "export-signing.key"

    @property
    def kek_path(self) -> Path:
        """The key-encryption key file."""
        return self.kek_file if self.kek_file is not None else self.data_dir / "keys" / "kek.key"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment over the settings file, which comes in as arguments; no dotenv."""
        return (env_settings, init_settings)


def parse_blob_url(value: str) -> BlobLocation:
    """Parse a blob URL: a folder path, `file:///abs/path` or `s3://bucket/prefix`."""
    if value.startswith("s3://"):
        bucket, _, prefix = value[len("s3://") :].partition("/")
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
            raise ValueError(f"'{bucket}' is not a valid S3 bucket name")
        return S3BlobLocation(bucket=bucket, prefix=prefix.strip("/"))
    if value.startswith("file://"):
        path = value[len("file://") :]
        if not path.startswith("/"):
            raise ValueError("file:// URLs must hold an absolute path (file:///srv/custos/blobs)")
        return FolderBlobLocation(Path(path))
    if "://" in value:
        raise ValueError("must be a folder path, file:///path or s3://bucket/prefix")
    return FolderBlobLocation(Path(value).resolve())


def setting_names() -> list[str]:
    """The names of all settings, as environment variables."""
    return [ENV_PREFIX + name.upper() for name in Settings.model_fields]


def load_settings(config_file: Path | None = None) -> Settings:
    """Build the settings from the environment and the settings file, or raise ConfigError."""
    _refuse_unknown_environment()
    file_name = config_file or (
        Path(os.environ[CONFIG_FILE_ENV]) if os.environ.get(CONFIG_FILE_ENV) else None
    )
    file_values = _read_settings_file(file_name) if file_name else {}
    try:
        return Settings(**file_values)
    except ValidationError as error:
        raise ConfigError(_describe(error, file_name)) from None


def _upper_environment() -> set[str]:
    return {key.upper() for key in os.environ}


def _refuse_unknown_environment() -> None:
    known = set(setting_names()) | {CONFIG_FILE_ENV}
    unknown = sorted(k for k in _upper_environment() if k.startswith(ENV_PREFIX) and k not in known)
    if unknown:
        raise ConfigError(
            f"unknown setting {unknown[0]} in the environment (known: {', '.join(sorted(known))})"
        )


def _read_settings_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            values = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"settings file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"settings file {path} is not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"settings file {path} cannot be read: {error.strerror}") from None
    for key in values:
        if key not in Settings.model_fields:
            raise ConfigError(
                f"unknown setting '{key}' in {path} "
                f"(known: {', '.join(sorted(Settings.model_fields))})"
            )
    return values


def _describe(error: ValidationError, file_name: Path | None) -> str:
    first = error.errors()[0]
    key = str(first["loc"][0]) if first["loc"] else "?"
    env_name = ENV_PREFIX + key.upper()
    if env_name in _upper_environment():
        origin = f" (from {env_name})"
    elif file_name is not None:
        origin = f" (from {file_name})"
    else:
        origin = ""
    reason = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        return f"unknown setting '{key}'{origin}"
    return f"invalid setting '{key}'{origin}: {reason}"
