"""Task attachment resources: upload, list, download (a redirect to a fresh short-lived link), delete."""
from flask import current_app, g, redirect, request, send_file

from api.base import BaseResource, dump, operation, page_response, paged, parse_id, parse_query
from api.errors import BadRequest, envelope
from api.schemas import AttachmentOut, AttachmentUpload, PageOut, PageQuery
from aws import storage
from workflow import attachments

#: Room for the multipart boundaries and headers around the file itself.
FORM_OVERHEAD = 64 * 1024


def add_download_url(out: AttachmentOut, attachment) -> None:
    out.download_url = attachments.download_url(attachment)


class TaskAttachments(BaseResource):
    @operation(summary="A task's attachments", tag="tasks", query=PageQuery, response=PageOut[AttachmentOut], errors=(404,))
    def get(self, task_id):
        """-> {"items": [AttachmentOut] oldest first, each with a short-lived `download_url`, "next_cursor"}."""
        task_uuid = parse_id(task_id, "task_id")
        query = parse_query(PageQuery)
        page = paged(lambda: attachments.list_attachments(task_id=task_uuid, limit=query.limit, cursor=query.cursor))
        return page_response(page, AttachmentOut, add_download_url)

    @operation(
        summary="Attach a file to a task", tag="tasks", body=AttachmentUpload, response=AttachmentOut, status=201,
        errors=(403, 404, 413, 415, 502),
    )
    def post(self, task_id):
        """multipart/form-data with the field `file` -> 201 AttachmentOut; too large 413, a type not allowed 415."""
        task_uuid = parse_id(task_id, "task_id")
        # Only this route takes big bodies; everything else keeps the global MAX_CONTENT_LENGTH.
        request.max_content_length = current_app.config["ATTACHMENT_MAX_BYTES"] + FORM_OVERHEAD
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest("send multipart/form-data with the file in the field 'file'", [{"field": "file", "message": "required"}])
        attachment = attachments.add_attachment(
            actor=g.user, task_id=task_uuid, fileobj=upload.stream, filename=upload.filename, content_type=upload.mimetype
        )
        body = dump(AttachmentOut, attachment)
        body["download_url"] = attachments.download_url(attachment)
        return body, 201


class TaskAttachmentItem(BaseResource):
    @operation(
        summary="Download an attachment", tag="tasks", response=None, status=302, errors=(404,),
        headers={"Location": "A fresh short-lived link to the file"},
    )
    def get(self, task_id, attachment_id):
        """-> 302 to a fresh short-lived download link."""
        attachment = attachments.get_attachment(
            task_id=parse_id(task_id, "task_id"), attachment_id=parse_id(attachment_id, "attachment_id")
        )
        response = redirect(attachments.download_url(attachment), 302)
        response.headers["Cache-Control"] = "no-store"
        return response

    @operation(summary="Remove an attachment", tag="tasks", response=None, status=204, errors=(403, 404))
    def delete(self, task_id, attachment_id):
        """The uploader, a Manager or an Admin -> 204."""
        attachments.remove_attachment(
            actor=g.user, task_id=parse_id(task_id, "task_id"), attachment_id=parse_id(attachment_id, "attachment_id")
        )
        return "", 204


def attachment_file(token: str):
    """The local store's download: the signed, expiring token is the permission (like a presigned S3 URL)."""
    try:
        path, filename, content_type = storage.open_link(token)
    except storage.InvalidLink as exc:
        return envelope(403, "forbidden", str(exc))
    response = send_file(path, mimetype=content_type, as_attachment=True, download_name=filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
