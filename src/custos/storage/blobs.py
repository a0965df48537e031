"""The BlobStore protocol and its local implementations: a folder on disk and memory (for tests).

Keys are relative, slash-separated names of lowercase letters, digits, '.', '_' and '-'.
Writes are atomic: a reader sees the whole blob or none of it, even after a crash.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import mmap
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from custos.config import FolderBlobLocation, Settings
from custos.errors import InvalidInput, StorageError

# Direct writes (Linux): whole blocks from page-aligned memory, past the page cache.
_DIRECT = getattr(os, "O_DIRECT", 0)
_BLOCK = mmap.PAGESIZE

_KEY = re.compile(r"^[a-z0-9_.-]+(/[a-z0-9_.-]+)*$")


def check_key(key: str) -> str:
    """Return `key` if it is a valid blob key, else raise InvalidInput."""
    if not _KEY.match(key) or any(part in (".", "..") for part in key.split("/")):
        raise InvalidInput(f"invalid blob key {key!r}")
    return key


class BlobStore(Protocol):
    """Where sealed blobs are kept; implementations: folder, S3, memory."""

    def put(self, key: str, data: bytes | memoryview) -> None:
        """Store `data` under `key`, replacing what was there, atomically."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under `key`; StorageError if there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove `key`; removing a missing key is not an error."""
        ...

    def exists(self, key: str) -> bool:
        """Whether `key` holds a blob."""
        ...

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every key that starts with `prefix`, in no set order."""
        ...

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove many keys at once (missing ones are fine), cheaper than one by one."""
        ...

    def space(self) -> Space | None:
        """Free and total bytes where blobs are kept, or None where that has no meaning."""
        ...


@dataclass(frozen=True)
class Space:
    """Free and total bytes of a store."""

    free: int
    total: int

    @property
    def free_percent(self) -> float:
        """Free space as a percentage of the total."""
        return 100.0 * self.free / self.total if self.total else 0.0


class MemoryBlobStore:
    """Blobs in a dict: the test double of the real stores (with a pretend capacity, if given)."""

    def __init__(self, capacity: int | None = None) -> None:
        self.blobs: dict[str, bytes] = {}
        self.capacity = capacity

    def put(self, key: str, data: bytes | memoryview) -> None:
        """Store `data` under `key`."""
        self.blobs[check_key(key)] = bytes(data)

    def get(self, key: str) -> bytes:
        """The bytes under `key`."""
        try:
            return self.blobs[check_key(key)]
        except KeyError:
            raise StorageError(f"blob {key} is missing") from None

    def delete(self, key: str) -> None:
        """Remove `key` if present."""
        self.blobs.pop(check_key(key), None)

    def exists(self, key: str) -> bool:
        """Whether `key` holds a blob."""
        return check_key(key) in self.blobs

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Keys starting with `prefix`."""
        return iter([key for key in self.blobs if key.startswith(prefix)])

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove each key."""
        for key in keys:
            self.delete(key)

    def space(self) -> Space | None:
        """The pretend capacity less what is stored."""
        if self.capacity is None:
            return None
        return Space(max(0, self.capacity - sum(map(len, self.blobs.values()))), self.capacity)


class FolderBlobStore:
    """Blobs as files under a root folder; writes go through a temporary file, fsync and rename.

    Sealed segments (in page-aligned memory) are written past the page cache where the file
    system allows it. Folders are made 0700 and files 0600, whatever the umask: only the owner
    reads ciphertext.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, data: bytes | memoryview) -> None:
        """Write atomically and durably: temp file, fsync, rename, fsync the folder."""
        path = self._path(key)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.partial")
        try:
            _make_private_folders(path.parent)
            _write_new(temporary, data)
            os.replace(temporary, path)
            _fsync_folder(path.parent)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise _storage_error(error, f"cannot write blob {key}") from error

    def get(self, key: str) -> bytes:
        """Read the whole blob."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StorageError(f"blob {key} is missing from {self.root}") from None
        except OSError as error:
            raise _storage_error(error, f"cannot read blob {key}") from error

    def delete(self, key: str) -> None:
        """Unlink the file and make the removal durable."""
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
            if path.parent.exists():
                _fsync_folder(path.parent)
        except OSError as error:
            raise _storage_error(error, f"cannot delete blob {key}") from error

    def exists(self, key: str) -> bool:
        """Whether the file exists."""
        return self._path(key).is_file()

    def delete_many(self, keys: Iterable[str]) -> None:
        """Unlink every file, then make the removals durable with one fsync per folder."""
        root = str(self.root)
        folders = set()
        for key in keys:
            check_key(key)
            # Plain strings rather than Path objects: a sweep deletes thousands of these.
            folder, _, name = key.rpartition("/")
            directory = os.path.join(root, folder) if folder else root
            try:
                os.unlink(os.path.join(directory, name))
            except FileNotFoundError:
                pass
            except OSError as error:
                raise _storage_error(error, f"cannot delete blob {key}") from error
            folders.add(directory)
        existing = [Path(d) for d in folders if os.path.isdir(d)]
        if len(existing) > 1:
            # Concurrent fsyncs share journal commits: many folders cost about one commit.
            with ThreadPoolExecutor(max_workers=min(16, len(existing))) as pool:
                list(pool.map(_fsync_folder, existing))
        elif existing:
            _fsync_folder(existing[0])

    def space(self) -> Space | None:
        """Free and total bytes of the file system holding the folder."""
        usage = shutil.disk_usage(self.root if self.root.exists() else self.root.parent)
        return Space(usage.free, usage.total)

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Walk the folder for keys starting with `prefix`, skipping unfinished writes."""
        if not self.root.exists():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key


def _make_private_folders(folder: Path) -> None:
    """Make `folder` and each missing folder above it, each 0700 (`mkdir -p` makes them 0755)."""
    missing = []
    while not folder.is_dir() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for each in reversed(missing):
        each.mkdir(mode=0o700, exist_ok=True)  # exists already when a concurrent write made it


def _write_new(path: Path, data: bytes | memoryview) -> None:
    """Create `path` (0600) and write all of `data` to it durably.

    Page-aligned memory (a SealBuffer's) goes straight to disk in whole blocks, past the page
    cache, where the file system allows it; the last partial block goes through the cache.
    Footage is written once and seldom read: keeping it out of the cache saves a copy and the
    memory, and leaves the cache to the database.
    """
    view = memoryview(data).cast("B")
    head = len(view) - len(view) % _BLOCK if _page_aligned(view) else 0
    created = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        descriptor = os.open(path, created | (_DIRECT if head else 0), 0o600)
    except OSError as error:
        if not head or error.errno != errno.EINVAL:
            raise
        # No direct I/O on this file system (ramfs): the file was made before the refusal.
        head = 0
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        done = _write_direct(descriptor, view[:head]) if head else 0
        if head and done < len(view):
            fcntl.fcntl(descriptor, fcntl.F_SETFL, 0)  # the rest goes through the cache
        while done < len(view):
            done += os.write(descriptor, view[done:])
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _page_aligned(view: memoryview) -> bool:
    if not _DIRECT or view.readonly or len(view) < _BLOCK:
        return False
    return ctypes.addressof(ctypes.c_char.from_buffer(view)) % _BLOCK == 0


def _write_direct(descriptor: int, view: memoryview) -> int:
    """Write whole blocks to a file opened with O_DIRECT; how many bytes went. It stops early
    at a short write off a block boundary, or where the device wants larger blocks: the caller
    writes the rest through the cache."""
    done = 0
    try:
        while done < len(view):
            done += os.write(descriptor, view[done:])
            if done % _BLOCK:
                break
    except OSError as error:
        if error.errno != errno.EINVAL:
            raise
    return done


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _storage_error(error: OSError, what: str) -> StorageError:
    if error.errno == errno.ENOSPC:
        return StorageError(f"{what}: the disk is full")
    return StorageError(f"{what}: {error.strerror or error}")


def open_blob_store(settings: Settings) -> BlobStore:
    """The store the settings name: a local folder, or an S3 bucket."""
    location = settings.blob_location
    if isinstance(location, FolderBlobLocation):
        return FolderBlobStore(location.path)
    from custos.storage.s3 import S3BlobStore  # boto3 loads only when S3 is used

    secret = settings.s3_secret_access_key
    return S3BlobStore.connect(
        location.bucket,
        location.prefix,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=secret.get_secret_value() if secret is not None else None,
    )
