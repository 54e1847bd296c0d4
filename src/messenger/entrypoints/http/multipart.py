"""Streaming a file out of a ``multipart/form-data`` body without buffering it whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError, MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from messenger.domain.errors import DomainError

FILE_FIELD = "file"


class MalformedUpload(DomainError):
    """The body is not the multipart form we expect."""

    code = "malformed_request"
    default_message = "Expected a multipart/form-data body with a 'file' part."


@dataclass
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    filename: str | None = None
    content_type: str | None = None
    # A file part's bytes parsed but not yet handed out, and whether its end was parsed.
    pending: list[bytes] = field(default_factory=list)
    done: bool = False


@dataclass
class FilePart:
    """The file part's metadata and an iterator over its bytes."""

    filename: str
    content_type: str | None
    chunks: AsyncIterator[bytes]


class _State:
    def __init__(self) -> None:
        self.part: _Part | None = None
        self.header_field = b""
        self.header_value = b""
        # The ``file`` parts whose headers were parsed, in order; ``wanted`` those whose
        # bytes are kept (a part skipped by its reader parses on, its bytes dropped).
        self.files: list[_Part] = []
        self.wanted: _Part | None = None
        self.ended = False


def _callbacks(state: _State) -> dict[str, object]:
    def on_part_begin() -> None:
        state.part = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state.header_field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state.header_value += data[start:end]

    def on_header_end() -> None:
        if state.part is not None:
            key = state.header_field.decode("latin-1").strip().lower()
            # Latin-1 keeps the raw bytes (browsers send UTF-8 file names unescaped); the
            # file name is decoded as UTF-8 once it has been parsed out.
            state.part.headers[key] = state.header_value.decode("latin-1").strip()
        state.header_field = state.header_value = b""

    def on_headers_finished() -> None:
        part = state.part
        if part is None:
            return
        _, options = parse_options_header(part.headers.get("content-disposition", ""))
        name = options.get(b"name")
        filename = options.get(b"filename")
        part.name = name.decode("utf-8", "replace") if name is not None else None
        part.filename = filename.decode("utf-8", "replace") if filename is not None else None
        part.content_type = part.headers.get("content-type")
        if part.name == FILE_FIELD:
            state.files.append(part)
            state.wanted = part

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state.part is not None and state.part is state.wanted:
            state.part.pending.append(data[start:end])

    def on_part_end() -> None:
        if state.part is not None:
            state.part.done = True
        state.part = None

    def on_end() -> None:
        state.ended = True

    return {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
        "on_end": on_end,
    }


async def read_file_parts(
    content_type: str | None, body: AsyncIterator[bytes], *, limit: int | None = None
) -> AsyncIterator[FilePart]:
    """Each ``file`` part in order, once its headers are parsed; its bytes are read on demand
    (and dropped if the reader asks for the next part first). No ``file`` part at all is
    ``MalformedUpload``; after ``limit`` parts the rest of the body is drained unread."""
    media_type, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise MalformedUpload()
    state = _State()
    try:
        parser = MultipartParser(boundary, _callbacks(state))  # type: ignore[arg-type]
    except (FormParserError, ValueError):
        raise MalformedUpload() from None

    def feed(chunk: bytes) -> None:
        try:
            parser.write(chunk)
        except (MultipartParseError, FormParserError, ValueError):
            raise MalformedUpload() from None

    async def chunks(file: _Part) -> AsyncIterator[bytes]:
        while True:
            if file.pending:
                data, file.pending = b"".join(file.pending), []
                if data:
                    yield data
            if file.done:
                return
            chunk = await anext(body, None)
            if chunk is None:
                raise MalformedUpload("The upload ended before the file did.")
            if chunk:
                feed(chunk)

    handed = 0
    while limit is None or handed < limit:
        while len(state.files) <= handed and not state.ended:
            chunk = await anext(body, None)
            if chunk is None:
                break
            if chunk:
                feed(chunk)
        if len(state.files) <= handed:
            if handed == 0:
                raise MalformedUpload()
            return
        file = state.files[handed]
        handed += 1
        yield FilePart(
            filename=file.filename or "file",
            content_type=file.content_type,
            chunks=chunks(file),
        )
        # The reader moved on: whatever is left of this part is parsed past, not kept.
        if state.wanted is file:
            state.wanted = None
        file.pending.clear()
    # Drain the rest of the body so the connection can be reused.
    state.wanted = None
    async for rest in body:
        if rest:
            feed(rest)


async def read_file_part(content_type: str | None, body: AsyncIterator[bytes]) -> FilePart:
    """Parse up to the headers of the first ``file`` part; its bytes are then read on
    demand, and the rest of the body is drained after them."""
    parts = read_file_parts(content_type, body, limit=1)
    first = await anext(parts)

    async def chunks() -> AsyncIterator[bytes]:
        async for chunk in first.chunks:
            yield chunk
        async for _ in parts:  # drains the body
            pass

    return FilePart(first.filename, first.content_type, chunks())
