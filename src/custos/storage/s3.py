"""The S3 blob store: any S3 API (AWS, MinIO, Ceph) through boto3."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from custos.errors import StorageError
from custos.storage.blobs import check_key

_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3BlobStore:
    """Blobs as objects under `prefix/` in one bucket."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    @classmethod
    def connect(
        cls,
        bucket: str,
        prefix: str,
        *,
        endpoint_url: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
    ) -> S3BlobStore:
        """A store using a boto3 client with bounded retries and timeouts."""
        client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(
                retries={"max_attempts": 5, "mode": "standard"},
                connect_timeout=10,
                read_timeout=60,
                s3={"addressing_style": "path"},
            ),
        )
        return cls(client, bucket, prefix)

    def _name(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _error(self, error: Exception, what: str) -> StorageError:
        if isinstance(error, ClientError):
            code = error.response.get("Error", {}).get("Code", "?")
            return StorageError(f"{what}: S3 answered {code}")
        return StorageError(f"{what}: {error}")

    def ensure_bucket(self) -> bool:
        """Create the bucket if it does not exist; True if it was created."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
            return False
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in _MISSING:
                raise self._error(error, f"cannot reach bucket {self.bucket}") from error
        except BotoCoreError as error:
            raise self._error(error, f"cannot reach bucket {self.bucket}") from error
        try:
            self._client.create_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, f"cannot create bucket {self.bucket}") from error
        return True

    def put(self, key: str, data: bytes | memoryview) -> None:
        """Upload one object (S3 makes the write atomic)."""
        name = self._name(key)
        try:
            self._client.put_object(Bucket=self.bucket, Key=name, Body=io.BytesIO(data))
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, f"cannot write blob {key}") from error

    def get(self, key: str) -> bytes:
        """Download one object."""
        name = self._name(key)
        try:
            body: bytes = self._client.get_object(Bucket=self.bucket, Key=name)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                raise StorageError(f"blob {key} is missing from s3://{self.bucket}") from None
            raise self._error(error, f"cannot read blob {key}") from error
        except BotoCoreError as error:
            raise self._error(error, f"cannot read blob {key}") from error
        return body

    def delete(self, key: str) -> None:
        """Delete one object; deleting a missing one is not an error in S3."""
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._name(key))
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, f"cannot delete blob {key}") from error

    def exists(self, key: str) -> bool:
        """Whether the object exists."""
        try:
            self._client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise self._error(error, f"cannot look up blob {key}") from error
        except BotoCoreError as error:
            raise self._error(error, f"cannot look up blob {key}") from error
        return True

    def delete_many(self, keys: Iterable[str]) -> None:
        """Delete objects a thousand at a time (S3's limit per request)."""
        names = [{"Key": self._name(key)} for key in keys]
        for start in range(0, len(names), 1000):
            try:
                answer = self._client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": names[start : start + 1000], "Quiet": True},
                )
            except (ClientError, BotoCoreError) as error:
                raise self._error(error, "cannot delete blobs") from error
            if answer.get("Errors"):
                failed = answer["Errors"][0]
                raise StorageError(f"cannot delete blob {failed.get('Key')}: {failed.get('Code')}")

    def space(self) -> None:
        """An object store has no free space to run out of here."""
        return None

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every key under the store's prefix that starts with `prefix`."""
        base = f"{self.prefix}/" if self.prefix else ""
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=base + prefix):
                for item in page.get("Contents", []):
                    yield item["Key"][len(base) :]
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, "cannot list blobs") from error
