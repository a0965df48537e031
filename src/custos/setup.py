"""Setting a deployment up and opening it: `custos init`, and the runtime every process starts from.

`initialise` creates what a data folder needs (keys, blob store, schema, first admin, retention
plan); `open_runtime` connects to an initialised one and hands back the `Runtime` that the web
app, the recorders, the jobs and the commands share.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from custos.audit import checkpoint as checkpoints
from custos.clock import Clock, SystemClock
from custos.config import FolderBlobLocation, Settings
from custos.db import (
    create_engine,
    migrate,
    require_current_schema,
    session_factory,
    sqlite_path,
)
from custos.errors import NotInitialised
from custos.passwords import Passwords
from custos.profile import load_profile
from custos.retention import service as retention
from custos.runtime import Runtime
from custos.storage.blobs import open_blob_store
from custos.storage.certificates import create_content_identity
from custos.storage.crypto import Sealer
from custos.storage.keys import create_kek, create_signing_key, load_kek, load_signing_key
from custos.storage.s3 import S3BlobStore
from custos.users import service as users

INITIAL_PASSWORD_FILE = "initial-admin-password"  # noqa: S105 - a file name
SQLITE_FILES = ("-wal", "-shm", "-journal")  # what SQLite keeps beside a database


def open_runtime(
    settings: Settings, clock: Clock | None = None, passwords: Passwords | None = None
) -> Runtime:
    """Connect to the configured database (which must be initialised) and blob store."""
    policy = load_profile(settings.policy)
    sealer = Sealer(load_kek(settings.kek_path))
    log_key = load_signing_key(settings.log_key_path)
    blobs = open_blob_store(settings)
    engine = create_engine(settings.database)
    try:
        require_current_schema(engine)
        with session_factory(engine)() as session:
            if not retention.plan_is_current(session, policy):
                raise NotInitialised(
                    f"the retention plan was not made with policy {policy.profile.name} "
                    f"({policy.source}); run `custos init` to apply it"
                )
    except Exception:
        engine.dispose()
        raise
    return Runtime(
        settings=settings,
        sessions=session_factory(engine),
        blobs=blobs,
        sealer=sealer,
        log_key=log_key,
        policy=policy,
        clock=clock or SystemClock(),
        passwords=passwords or Passwords(),
        engine=engine,
    )


@dataclass(frozen=True)
class Initialised:
    """What `initialise` did."""

    key_created: bool
    admin_password: str | None


def initialise(
    settings: Settings, clock: Clock | None = None, passwords: Passwords | None = None
) -> Initialised:
    """Create the data folder, keys, blob store and schema, the first admin and the retention plan.

    Safe to run again: it migrates, and replans retention if the policy profile changed.
    `passwords` hashes the first admin's password (Argon2 at its recommended cost by default).
    """
    load_profile(settings.policy)  # an invalid policy stops everything before anything changes
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    _owner_only(settings.data_dir, 0o700)  # one made before, by hand or by an older version
    key_created = create_kek(settings.kek_path)
    create_signing_key(settings.log_key_path)
    create_signing_key(settings.export_key_path)
    create_content_identity(
        settings.content_keys_dir, settings.organisation, (clock or SystemClock()).now()
    )
    location = settings.blob_location
    if isinstance(location, FolderBlobLocation):
        location.path.mkdir(mode=0o700, parents=True, exist_ok=True)
    else:
        store = open_blob_store(settings)
        assert isinstance(store, S3BlobStore)
        store.ensure_bucket()
    database = sqlite_path(make_url(settings.database))  # created 0600 by create_engine's hook
    engine = create_engine(settings.database)
    try:
        migrate(engine)
        with session_factory(engine)() as session:
            password = users.ensure_first_admin(
                session, clock or SystemClock(), passwords or Passwords()
            )
            retention.apply_profile(session, clock or SystemClock(), load_profile(settings.policy))
            if checkpoints.latest_checkpoint(session) is None:
                signer = checkpoints.log_signer(session, load_signing_key(settings.log_key_path))
                checkpoints.sign_checkpoint(session, clock or SystemClock(), signer)
    finally:
        engine.dispose()
    if database is not None:  # made by an older version, with the umask's mode
        for path in (database, *(database.with_name(database.name + s) for s in SQLITE_FILES)):
            _owner_only(path, 0o600)
    if password is not None:
        _write_secret(settings.data_dir / INITIAL_PASSWORD_FILE, password)
    return Initialised(key_created, password)


def _owner_only(path: Path, mode: int) -> None:
    """Take group and other permissions off `path`, if it exists and is this user's own."""
    try:
        found = path.stat()
    except FileNotFoundError:
        return
    if found.st_uid == os.getuid() and stat.S_IMODE(found.st_mode) != mode:
        path.chmod(mode)


def _write_secret(path: Path, secret: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret + "\n")
