"""Where document files live, behind one small interface: a local folder (the embedded
default, FORUM_UPLOAD_FOLDER) or an S3-compatible bucket (boto3), for several web hosts.

Keys are random (`new_key()`), never a name a user typed: no path trick reaches the disk.
Files are written once and never changed; a new version is a new key.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

CHUNK = 64 * 1024
_KEY = re.compile(r"^[a-z0-9]{2}/[a-z0-9]{40}$")


def new_key() -> str:
    """A random key, spread over 1,296 folders: "3f/3fa1…" (40 characters of base 36)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    name = "".join(secrets.choice(alphabet) for _ in range(40))
    return f"{name[:2]}/{name}"


def _checked(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Storage(Protocol):
    def save(self, key: str, source: BinaryIO) -> None: ...
    def chunks(self, key: str) -> Iterator[bytes]: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def local_copy(self, key: str) -> contextlib.AbstractContextManager[Path]: ...
    def keys(self, older_than: datetime | None = None) -> Iterator[str]: ...


class LocalStorage:
    """Files under a folder (mode 0700), outside `static/`: served only through the views."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / _checked(key)

    def save(self, key: str, source: BinaryIO) -> None:
        target = self.path(key)
        if not self.folder.is_dir():
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.folder.chmod(0o700)  # mkdir's mode is cut by the umask
        target.parent.mkdir(mode=0o700, exist_ok=True)
        # Written beside, then renamed: a reader never sees half a file.
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
            os.replace(partial, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
            raise

    def chunks(self, key: str) -> Iterator[bytes]:
        with self.path(key).open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        yield self.path(key)

    def keys(self, older_than: datetime | None = None) -> Iterator[str]:
        """Every stored key (those last written before `older_than` only, if given)."""
        if not self.folder.is_dir():
            return
        limit = older_than.timestamp() if older_than else None
        for path in sorted(self.folder.glob("*/*")):
            key = f"{path.parent.name}/{path.name}"
            if _KEY.match(key) and (limit is None or path.stat().st_mtime < limit):
                yield key


class S3Storage:
    """Objects in an S3-compatible bucket (AWS, MinIO, Garage, Ceph…). Credentials come from
    boto3's usual places (AWS_ACCESS_KEY_ID… or a role); the bucket must exist."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None):
        import boto3

        self.bucket = bucket
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region)

    def save(self, key: str, source: BinaryIO) -> None:
        self.client.upload_fileobj(source, self.bucket, _checked(key))

    def chunks(self, key: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=_checked(key))["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_checked(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=_checked(key))
        except ClientError:
            return False
        return True

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="forum-doc-") as folder:
            path = Path(folder) / "file"
            self.client.download_file(self.bucket, _checked(key), str(path))
            yield path

    def keys(self, older_than: datetime | None = None) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        for page in pages:
            for item in page.get("Contents", []):
                if not _KEY.match(item["Key"]):
                    continue
                if older_than is None or item["LastModified"] < older_than:
                    yield item["Key"]


def storage() -> Storage:
    """The application's storage, built once per app from its settings."""
    app = current_app._get_current_object()
    found = app.extensions.get("documents_storage")
    if found is None:
        bucket = app.config.get("UPLOAD_S3_BUCKET")
        if bucket:
            found = S3Storage(
                bucket,
                endpoint_url=app.config.get("UPLOAD_S3_ENDPOINT_URL"),
                region=app.config.get("UPLOAD_S3_REGION"),
            )
        else:
            found = LocalStorage(app.config["UPLOAD_FOLDER"])
        app.extensions["documents_storage"] = found
    return found


def content_disposition(filename: str, inline: bool) -> str:
    """`attachment` (or `inline`) with an ASCII name and the UTF-8 one (RFC 6266)."""
    import unicodedata
    from urllib.parse import quote

    kind = "inline" if inline else "attachment"
    simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    simple = re.sub(r'["\\\x00-\x1f\x7f]', "", simple) or "document"
    value = f'{kind}; filename="{simple}"'
    if simple != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value
