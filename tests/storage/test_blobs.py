"""Blob stores: folder and memory stores honour the same protocol; writes are atomic."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from custos.errors import InvalidInput, StorageError
from custos.storage.blobs import BlobStore, FolderBlobStore, MemoryBlobStore
from custos.storage.crypto import SealBuffer
from custos.storage.s3 import S3BlobStore


@pytest.fixture(params=["folder", "memory", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "s3":
        s3: BlobStore = request.getfixturevalue("s3_store")
        return s3
    return FolderBlobStore(tmp_path / "blobs") if request.param == "folder" else MemoryBlobStore()


def test_folders_and_files_are_the_owners_only(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path / "data" / "blobs")
    previous = os.umask(0o022)
    try:
        store.put("cam-1/2026/11/30/seg-0001.bin", b"sealed bytes")
    finally:
        os.umask(previous)
    made = [tmp_path / "data", *(tmp_path / "data").rglob("*")]
    modes = {p.relative_to(tmp_path).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in made}
    assert modes == {
        "data": 0o700,
        "data/blobs": 0o700,
        "data/blobs/cam-1": 0o700,
        "data/blobs/cam-1/2026": 0o700,
        "data/blobs/cam-1/2026/11": 0o700,
        "data/blobs/cam-1/2026/11/30": 0o700,
        "data/blobs/cam-1/2026/11/30/seg-0001.bin": 0o600,
    }


def test_put_get_delete(store: BlobStore) -> None:
    store.put("cam-1/2026/11/30/seg-0001.bin", b"sealed bytes")
    assert store.exists("cam-1/2026/11/30/seg-0001.bin")
    assert store.get("cam-1/2026/11/30/seg-0001.bin") == b"sealed bytes"
    store.put("cam-1/2026/11/30/seg-0001.bin", b"replaced")
    assert store.get("cam-1/2026/11/30/seg-0001.bin") == b"replaced"
    store.delete("cam-1/2026/11/30/seg-0001.bin")
    store.delete("cam-1/2026/11/30/seg-0001.bin")  # deleting twice is fine
    assert not store.exists("cam-1/2026/11/30/seg-0001.bin")
    with pytest.raises(StorageError, match="missing"):
        store.get("cam-1/2026/11/30/seg-0001.bin")


def test_keys_by_prefix(store: BlobStore) -> None:
    for key in ("a/1", "a/2", "b/1"):
        store.put(key, key.encode())
    assert sorted(store.keys("a/")) == ["a/1", "a/2"]
    assert sorted(store.keys()) == ["a/1", "a/2", "b/1"]


@pytest.mark.parametrize("key", ["../escape", "/abs", "a//b", "A/B", "a/./b", "", "a/"])
def test_keys_that_could_escape_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(InvalidInput, match="invalid blob key"):
        store.put(key, b"x")


def test_folder_store_leaves_no_partial_file_behind(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path)
    store.put("x/y", b"data")
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["y"]


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB filesystem, to fill up."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_full_disk_is_a_clear_error_and_keeps_what_was_stored(tiny_disk: Path) -> None:
    store = FolderBlobStore(tiny_disk)
    store.put("kept", b"k" * 16_000)
    with pytest.raises(StorageError, match="cannot write blob big: the disk is full"):
        store.put("big", b"b" * 200_000)
    assert store.get("kept") == b"k" * 16_000
    assert sorted(store.keys()) == ["kept"]
    assert [p.name for p in tiny_disk.iterdir()] == ["kept"]


def sealed_view(data: bytes) -> memoryview:
    """`data` in page-aligned memory, as a sealed segment's ciphertext is."""
    view = SealBuffer().view(len(data))
    view[:] = data
    return view


def resident_pages(path: Path) -> int:
    """How many pages of `path` the page cache holds (util-linux's fincore)."""
    shown = subprocess.run(
        ["fincore", "--noheadings", "--output", "PAGES", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(shown.stdout)


@pytest.mark.parametrize("size", [16, 4095, 4096, 4097, 3 * 4096 + 5, 1_000_003])
def test_sealed_memory_is_stored_whole_at_any_size(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    store = FolderBlobStore(tmp_path)
    store.put("cameras/1/seg", sealed_view(data))
    assert store.get("cameras/1/seg") == data
    assert (tmp_path / "cameras/1/seg").stat().st_size == size


def test_sealed_memory_goes_past_the_page_cache(tmp_path: Path) -> None:
    data = os.urandom(2_000_000 + 123)
    store = FolderBlobStore(tmp_path)
    store.put("direct", sealed_view(data))
    store.put("cached", data)  # bytes: through the cache, like any other write
    pages = -(-len(data) // 4096)
    assert resident_pages(tmp_path / "cached") == pages
    assert resident_pages(tmp_path / "direct") <= 1  # only the last, partial block
    assert store.get("direct") == data


@pytest.fixture
def ramfs(tmp_path: Path) -> Iterator[Path]:
    """A real file system without direct I/O: opening with O_DIRECT makes the file, then fails."""
    mount = tmp_path / "ram"
    mount.mkdir()
    subprocess.run(["mount", "-t", "ramfs", "ramfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_sealed_memory_on_a_file_system_without_direct_writes(ramfs: Path) -> None:
    data = os.urandom(3 * 4096 + 17)
    store = FolderBlobStore(ramfs)
    store.put("cameras/1/seg", sealed_view(data))
    assert store.get("cameras/1/seg") == data
    assert [p.name for p in (ramfs / "cameras/1").iterdir()] == ["seg"]


def test_sealed_memory_on_a_full_disk_is_a_clear_error(tiny_disk: Path) -> None:
    data = os.urandom(20_000)
    store = FolderBlobStore(tiny_disk)
    store.put("kept", sealed_view(data))
    with pytest.raises(StorageError, match="cannot write blob big: the disk is full"):
        store.put("big", sealed_view(os.urandom(200_000)))
    assert store.get("kept") == data
    assert sorted(store.keys()) == ["kept"]
    assert [p.name for p in tiny_disk.iterdir()] == ["kept"]


def test_s3_objects_live_under_the_prefix(s3_store: S3BlobStore) -> None:
    s3_store.put("cameras/1/seg", memoryview(b"sealed"))
    listed = s3_store._client.list_objects_v2(Bucket=s3_store.bucket)["Contents"]
    assert [item["Key"] for item in listed] == ["custos/cameras/1/seg"]
    assert not s3_store.ensure_bucket()  # exists already


def test_s3_unreachable_is_a_storage_error() -> None:
    store = S3BlobStore.connect(
        "nowhere",
        "",
        endpoint_url="http://127.0.0.1:9",
        region="us-east-1",
        access_key_id="x",
        secret_access_key="y",
    )
    with pytest.raises(StorageError, match="cannot write blob k"):
        store.put("k", b"data")
