"""Files over HTTP: an evidence upload read within its size limit, and a stored file sent back as an attachment."""

import re
from dataclasses import dataclass
from urllib.parse import quote

from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from ..audit.evidence import Upload, size_label
from ..audit.filetypes import extension
from ..audit.schema import EvidenceOut
from ..config import Settings
from ..errors import InvalidInput, LengthRequired, TooLarge, WrongContentType

# what a multipart body carries beyond the file itself: boundaries, part headers, the note
UPLOAD_OVERHEAD = 64 * 1024
# a name any client reads in a plain quoted header value
PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,150}$")
# characters no operating system takes in a file name
UNSAFE_IN_NAME = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


async def read_upload(request: Request, settings: Settings) -> Upload:
    """The `file` part (and `note`) of a multipart body; a body announced larger than the limit is refused
    before it is read, and one without a length is refused outright (it could be of any size)."""
    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        raise WrongContentType("上传证据须使用 multipart/form-data，文件放在字段 file 中",
                               "upload evidence as multipart/form-data with the file in the field `file`")
    length = request.headers.get("content-length")
    if not (length or "").isdigit():
        raise LengthRequired("上传须注明内容长度（Content-Length）", "an upload must state its Content-Length")
    if int(length) > settings.evidence_max_bytes + UPLOAD_OVERHEAD:
        raise TooLarge(f"上传内容超过 {size_label(settings.evidence_max_bytes)} 的上限",
                       f"the upload is larger than the {size_label(settings.evidence_max_bytes)} limit", field="file",
                       limit_bytes=settings.evidence_max_bytes)
    form = await request.form()
    file, note = form.get("file"), form.get("note") or ""
    if not isinstance(file, UploadFile):
        raise InvalidInput("请选择要上传的文件（字段 file）", "choose a file to upload (field `file`)", field="file")
    if not isinstance(note, str):
        raise InvalidInput("说明应为文字", "the note must be text", field="note")
    try:
        content = await file.read()
    finally:
        await file.close()
    return Upload(file_name=file.filename or "", content=content, note=note)


def content_disposition(name: str, file_id: int) -> str:
    """attachment; a plain name for every client, the original (made safe) for those that read RFC 6266."""
    safe = UNSAFE_IN_NAME.sub("_", name).strip(" .") or f"evidence-{file_id}"
    plain = safe if PLAIN_NAME.match(safe) else f"evidence-{file_id}{extension(safe)}"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(safe, safe='')}"


def attachment(meta: EvidenceOut, content: bytes) -> Response:
    media, _, charset = meta.media_type.partition("; charset=")    # text keeps the charset it was sniffed in
    return Response(content, media_type=media, encoding=charset or "utf-8", headers={
        "Content-Disposition": content_disposition(meta.file_name, meta.id),
        "Cache-Control": "private, no-store",
        "X-Evidence-SHA256": meta.sha256,
    })


@dataclass
class UploadOperation(Operation):
    """The upload's body as the API documentation shows it: the handler reads it itself (after checking who
    asks and the announced length), so Litestar cannot infer it from a `data` parameter."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(required=True, content={"multipart/form-data": OpenAPIMediaType(schema=Schema(
            type=OpenAPIType.OBJECT, required=["file"], properties={
                "file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY,
                               description="证据文件 / the evidence file"),
                "note": Schema(type=OpenAPIType.STRING, max_length=500, description="说明（可选）/ optional note")}))})


def public_base_url(request: Request, settings: Settings) -> str:
    """Where people reach the public pages: TECHREG_PUBLIC_BASE_URL, else the address this request came to."""
    return settings.public_base_url or str(request.base_url)


def pdf_response(file) -> Response:
    """A generated PDF (registry.certificate.CertificateFile) as a download."""
    return Response(content=file.content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{file.filename}"',
                             "Cache-Control": "no-store"})
