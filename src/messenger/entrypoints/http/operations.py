"""What an operation's OpenAPI entry cannot learn from the handler's signature.

Uploads stream their ``multipart/form-data`` body themselves (``multipart.py``), so Litestar
sees no ``data`` parameter and documents no body; downloads answer with the bytes' own
content type and headers, where Litestar knows one ``media_type``. A handler names what its
operation is with ``operation_class=upload(...)`` or ``operation_class=download(...)``:
Litestar builds that class with what it derived, and ``__post_init__`` completes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from litestar.enums import ParamType
from litestar.openapi.spec import (
    Encoding,
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)

from messenger.entrypoints.http.multipart import FILE_FIELD

OCTET_STREAM = "application/octet-stream"
# Raster images the server recognised (avatars, thumbnails, inline attachments).
RASTER_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp")

MULTIPART = "multipart/form-data"


def _bytes(media_type: str = OCTET_STREAM) -> Schema:
    # ``format: binary`` for OpenAPI 3.0 tools, ``contentMediaType`` for 3.1 ones.
    return Schema(
        type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY, content_media_type=media_type
    )


def _string_header(description: str, *, required: bool = True) -> OpenAPIHeader:
    return OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING), description=description, required=required
    )


@dataclass
class Upload(Operation):
    """What every upload's operation is: a body this API parses itself, so it answers what
    a body can (400 malformed, 413 too large) without a ``data`` parameter."""


def upload(
    *, many: bool = False, accepts: Sequence[str] = (OCTET_STREAM,), description: str = ""
) -> type[Operation]:
    """An operation whose body is ``multipart/form-data`` with a ``file`` part (``many``:
    one or more), of the media types ``accepts`` (what the part's own header may say)."""
    file = _bytes(accepts[0] if len(accepts) == 1 else OCTET_STREAM)
    field = Schema(type=OpenAPIType.ARRAY, items=file, min_items=1) if many else file
    body = RequestBody(
        required=True,
        description=description or None,
        content={
            MULTIPART: OpenAPIMediaType(
                schema=Schema(
                    type=OpenAPIType.OBJECT,
                    properties={FILE_FIELD: field},
                    required=[FILE_FIELD],
                ),
                encoding={FILE_FIELD: Encoding(content_type=", ".join(accepts))},
            )
        },
    )

    @dataclass
    class UploadOperation(Upload):
        """An upload: its multipart body."""

        def __post_init__(self) -> None:
            self.request_body = body

    return UploadOperation


def download(
    media_types: Sequence[str],
    headers: Mapping[str, str],
    *,
    revalidated: bool = False,
) -> type[Operation]:
    """An operation that answers with bytes of one of ``media_types`` (ranges such as
    ``image/*`` or ``*/*`` allowed) and always sends ``headers`` (name: what it says).

    ``revalidated``: it takes ``If-None-Match`` and answers 304 while the ``ETag`` matches.
    """
    content = {
        media_type: OpenAPIMediaType(schema=_bytes(media_type)) for media_type in media_types
    }
    sent = {name: _string_header(why) for name, why in headers.items()}

    @dataclass
    class DownloadOperation(Operation):
        """A download: its content types, headers and conditional answer."""

        def __post_init__(self) -> None:
            responses = self.responses if self.responses is not None else {}
            self.responses = responses
            for status, response in list(responses.items()):
                if status.startswith("2") and isinstance(response, OpenAPIResponse):
                    response.content = dict(content)
                    response.headers = {**(response.headers or {}), **sent}
            if not revalidated:
                return
            responses["304"] = OpenAPIResponse(
                description="Not modified: the `If-None-Match` tag is still current",
                headers={name: h for name, h in sent.items() if name in {"ETag", "Cache-Control"}},
            )
            self.parameters = [
                *(self.parameters or []),
                Parameter(
                    name="If-None-Match",
                    param_in=ParamType.HEADER,
                    required=False,
                    schema=Schema(type=OpenAPIType.STRING),
                    description="An `ETag` this client has: 304 while it is current",
                ),
            ]

    return DownloadOperation


__all__ = ["MULTIPART", "OCTET_STREAM", "RASTER_IMAGES", "Upload", "download", "upload"]
