"""Attachment storage: S3 when S3_BUCKET is set, else a local folder with signed, expiring download links."""
import logging
import os
import tempfile
import unicodedata
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from aws.clients import client

log = logging.getLogger(__name__)

#: Multipart above 8 MiB, in 8 MiB parts; a failed multipart upload is aborted by boto3, leaving no parts.
TRANSFER_CONFIG = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024, max_concurrency=4)
TOKEN_SALT = "task-attachment-download"


class StorageError(Exception):
    """The store refused or could not be reached."""


class InvalidLink(Exception):
    """A local download token that is forged, damaged or expired."""


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name in RFC 5987 form."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(c if c.isprintable() and c not in '"\\' else "_" for c in ascii_name) or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def uses_s3() -> bool:
    return bool(current_app.config.get("S3_BUCKET"))


def _bucket() -> str:
    return current_app.config["S3_BUCKET"]


def _expiry() -> int:
    return current_app.config["ATTACHMENT_URL_SECONDS"]


def local_root() -> Path:
    """The local store's folder (LOCAL_STORAGE_DIR, default instance/attachments)."""
    configured = current_app.config.get("LOCAL_STORAGE_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "attachments"


def _local_path(key: str) -> Path:
    root = local_root().resolve()
    path = (root / key).resolve()
    # Keys are ours (attachments/<uuid>/<uuid>), but never let one leave the folder.
    if root not in path.parents:
        raise StorageError("storage key outside the storage folder")
    return path


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def put(key: str, fileobj: BinaryIO, *, content_type: str, filename: str) -> None:
    """Store the whole file under `key`, or nothing at all."""
    if uses_s3():
        extra = {"ContentType": content_type, "ContentDisposition": content_disposition(filename)}
        try:
            client("s3").upload_fileobj(fileobj, _bucket(), key, ExtraArgs=extra, Config=TRANSFER_CONFIG)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(str(exc)) from exc
        return
    path = _local_path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target, then rename: a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                while chunk := fileobj.read(1024 * 1024):
                    out.write(chunk)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        raise StorageError(str(exc)) from exc


def delete(key: str) -> None:
    """Remove the object; a missing one is already gone."""
    if uses_s3():
        try:
            client("s3").delete_object(Bucket=_bucket(), Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(str(exc)) from exc
        return
    try:
        _local_path(key).unlink(missing_ok=True)
    except OSError as exc:
        raise StorageError(str(exc)) from exc


def discard(key: str) -> None:
    """Delete, logging instead of raising: used when something else has already failed."""
    try:
        delete(key)
    except StorageError:
        log.exception("could not remove stored object %s", key)


def download_url(key: str, *, filename: str, content_type: str) -> str:
    """A link that downloads the object for ATTACHMENT_URL_SECONDS: presigned S3, or a signed local route."""
    if uses_s3():
        return client("s3").generate_presigned_url(
            "get_object",
            Params={
                "Bucket": _bucket(), "Key": key,
                "ResponseContentDisposition": content_disposition(filename), "ResponseContentType": content_type,
            },
            ExpiresIn=_expiry(),
        )
    token = _serializer().dumps({"key": key, "filename": filename, "content_type": content_type})
    return url_for("api.attachment_file", token=token, _external=True)


def open_link(token: str) -> tuple[Path, str, str]:
    """The file, name and type a local download token names; InvalidLink if forged or expired."""
    try:
        data = _serializer().loads(token, max_age=_expiry())
    except SignatureExpired:
        raise InvalidLink("the download link has expired") from None
    except BadSignature:
        raise InvalidLink("the download link is not valid") from None
    try:
        path = _local_path(data["key"])
    except StorageError:
        raise InvalidLink("the download link is not valid") from None
    if not path.is_file():
        raise InvalidLink("the file is no longer stored")
    return path, data["filename"], data["content_type"]
