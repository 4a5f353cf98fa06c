"""Files attached to tasks: checked, stored (S3 or a local folder), listed, removed; each add and removal in the history."""
import os
import unicodedata
import uuid
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select

from aws import storage
from db import session
from db.models import ChangeType, TaskAttachment, User
from db.pagination import Page, datetime_key, paginate
from db.types import utcnow, uuid7
from domain import rules
from domain.errors import Forbidden, NotFound, PayloadTooLarge, StorageFailed, UnsupportedMediaType, ValidationFailed
from workflow import history
from workflow.tasks import get_task

#: Allowed extensions: (the type we store and serve, the types a client may declare, a check of the first bytes).
#: The stored type comes from this table, never from the client, so a browser never renders a surprise.
ZIP = b"PK\x03\x04"
ALLOWED_TYPES: dict[str, tuple[str, frozenset[str], object]] = {
    "pdf": ("application/pdf", frozenset({"application/pdf"}), b"%PDF-"),
    "png": ("image/png", frozenset({"image/png"}), b"\x89PNG\r\n\x1a\n"),
    "jpg": ("image/jpeg", frozenset({"image/jpeg", "image/pjpeg"}), b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", frozenset({"image/jpeg", "image/pjpeg"}), b"\xff\xd8\xff"),
    "gif": ("image/gif", frozenset({"image/gif"}), b"GIF8"),
    "webp": ("image/webp", frozenset({"image/webp"}), lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    "txt": ("text/plain", frozenset({"text/plain"}), "text"),
    "log": ("text/plain", frozenset({"text/plain"}), "text"),
    "csv": ("text/csv", frozenset({"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel"}), "text"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/octet-stream"}),
        ZIP,
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"}),
        ZIP,
    ),
}
ALLOWED_EXTENSIONS = tuple(ALLOWED_TYPES)
MAX_FILENAME = 200
SNIFF_BYTES = 8192


def max_bytes() -> int:
    return current_app.config["ATTACHMENT_MAX_BYTES"]


def clean_filename(name: str | None) -> str:
    """The name for display: no folders, no control characters, not too long (the extension kept)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters, and the Unicode line and paragraph separators: a name is one line.
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and unicodedata.category(c) not in ("Zl", "Zp"))
    name = name.strip().strip(".")
    stem, dot, extension = name.rpartition(".")
    if len(name) > MAX_FILENAME:
        name = stem[: MAX_FILENAME - len(extension) - 1] + dot + extension if dot and len(extension) < 16 else name[:MAX_FILENAME]
    return name or "file"


def _looks_like(head: bytes, check) -> bool:
    if check == "text":
        # Cheap: text has no NUL bytes (binary formats nearly always do early on).
        return b"\x00" not in head
    if callable(check):
        return check(head)
    return head.startswith(check)


def stored_type(filename: str, declared: str | None, head: bytes) -> str:
    """The type to store, if the extension, the declared type and the first bytes agree; else UnsupportedMediaType."""
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    allowed = ", ".join(ALLOWED_EXTENSIONS)
    if extension not in ALLOWED_TYPES:
        raise UnsupportedMediaType(f"files of this type cannot be attached; allowed: {allowed}", {"allowed": list(ALLOWED_EXTENSIONS)})
    canonical, accepted, check = ALLOWED_TYPES[extension]
    declared = (declared or "").split(";", 1)[0].strip().lower()
    if declared not in accepted:
        raise UnsupportedMediaType(f"a .{extension} file must be sent as {canonical}, not {declared or 'no type'}")
    if not _looks_like(head, check):
        raise UnsupportedMediaType(f"the file's content is not a .{extension} file")
    return canonical


def _size(fileobj: BinaryIO) -> int:
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def add_attachment(*, actor: User, task_id: uuid.UUID, fileobj: BinaryIO, filename: str | None, content_type: str | None) -> TaskAttachment:
    """Check and store a file, then record it; a failure leaves neither a row nor an object."""
    if not rules.can_attach(actor):
        raise Forbidden("your role cannot attach files")
    task = get_task(task_id=task_id)
    name = clean_filename(filename)
    size = _size(fileobj)
    if size > max_bytes():
        raise PayloadTooLarge(f"the file is larger than {max_bytes()} bytes", {"max_bytes": max_bytes()})
    if size == 0:
        raise ValidationFailed("the file is empty", [{"field": "file", "message": "must not be empty"}])
    kind = stored_type(name, content_type, fileobj.read(SNIFF_BYTES))
    fileobj.seek(0)
    attachment_id = uuid7()
    attachment = TaskAttachment(
        id=attachment_id, task_id=task.id, filename=name, content_type=kind, size=size,
        storage_key=f"attachments/{task.id}/{attachment_id}", uploaded_by=actor.id, created_at=utcnow(),
    )
    try:
        storage.put(attachment.storage_key, fileobj, content_type=kind, filename=name)
    except storage.StorageError as exc:
        session.rollback()
        raise StorageFailed("the file could not be stored; try again later") from exc
    try:
        session.add(attachment)
        history.record(task, actor, ChangeType.EDIT, {"attachment": None}, {"attachment": name}, attachment.created_at)
        session.commit()
    except BaseException:
        session.rollback()
        storage.discard(attachment.storage_key)
        raise
    return attachment


def get_attachment(*, task_id: uuid.UUID, attachment_id: uuid.UUID) -> TaskAttachment:
    """An attachment of a live task."""
    get_task(task_id=task_id)
    attachment = session.get(TaskAttachment, attachment_id)
    if attachment is None or attachment.task_id != task_id:
        raise NotFound("attachment not found")
    return attachment


def list_attachments(*, task_id: uuid.UUID, limit: int, cursor: str | None) -> Page:
    """A live task's attachments, oldest first."""
    get_task(task_id=task_id)
    return paginate(
        session(),
        select(TaskAttachment).where(TaskAttachment.task_id == task_id),
        id_column=TaskAttachment.id,
        key=datetime_key(TaskAttachment.created_at),
        sort="created_at",
        descending=False,
        limit=limit,
        cursor=cursor,
    )


def remove_attachment(*, actor: User, task_id: uuid.UUID, attachment_id: uuid.UUID) -> None:
    """Delete the row (with its history entry), then the stored object."""
    attachment = get_attachment(task_id=task_id, attachment_id=attachment_id)
    if not rules.can_remove_attachment(actor, attachment):
        raise Forbidden("only the uploader, a Manager or an Admin may remove this attachment")
    task = get_task(task_id=task_id)
    key = attachment.storage_key
    session.delete(attachment)
    history.record(task, actor, ChangeType.EDIT, {"attachment": attachment.filename}, {"attachment": None}, utcnow())
    session.commit()
    # After the commit: a failed removal leaves an unreferenced object, never a row without its file.
    storage.discard(key)


def download_url(attachment: TaskAttachment) -> str:
    """A short-lived link to the attachment's bytes."""
    return storage.download_url(attachment.storage_key, filename=attachment.filename, content_type=attachment.content_type)
