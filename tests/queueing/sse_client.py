"""A small server-sent events client over asyncio streams, for opening many streams at once
against a real ASGI server (uvicorn) in the tests.

Written by hand because the project's test dependencies have no async HTTP client; it speaks
just what the streams need: one HTTP/1.1 GET, a chunked or close-delimited body, and the SSE
framing (`id:`, `event:`, `data:`, comments, blank line between events).
"""

import asyncio
import contextlib
import json
from dataclasses import dataclass, field


@dataclass
class Event:
    id: int | None
    event: str
    data: str

    def json(self):
        return json.loads(self.data)


@dataclass
class Stream:
    status: int
    headers: dict
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    chunked: bool
    buffer: str = ""
    comments: list[str] = field(default_factory=list)
    retry: int | None = None
    ended: bool = False

    async def _more(self) -> bool:
        if self.chunked:
            size_line = await self.reader.readline()
            if not size_line:
                return False
            size = int(size_line.strip() or b"0", 16)
            if size == 0:
                return False
            data = await self.reader.readexactly(size + 2)
            self.buffer += data[:-2].decode()
            return True
        data = await self.reader.read(65536)
        if not data:
            return False
        self.buffer += data.decode()
        return True

    async def next_event(self) -> Event | None:
        """The next event (comments and `retry:` are remembered, not returned); None at the end."""
        while True:
            while "\n\n" in self.buffer:
                block, self.buffer = self.buffer.split("\n\n", 1)
                fields = {"event": "message", "data": [], "id": None}
                for line in block.split("\n"):
                    if line.startswith(":"):
                        self.comments.append(line[1:].strip())
                        continue
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "data":
                        fields["data"].append(value)
                    elif name == "retry":
                        self.retry = int(value)
                    elif name in ("event", "id"):
                        fields[name] = value
                if fields["data"]:
                    event_id = int(fields["id"]) if fields["id"] else None
                    return Event(event_id, fields["event"], "\n".join(fields["data"]))
            if self.ended or not await self._more():
                self.ended = True
                return None

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


async def open_stream(port: int, path: str, last_event_id: int | None = None,
                      host: str = "localhost") -> Stream:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Accept: text/event-stream"]
    if last_event_id is not None:
        lines.append(f"Last-Event-ID: {last_event_id}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin1").partition(":")
        headers[name.strip().lower()] = value.strip()
    chunked = headers.get("transfer-encoding", "").lower() == "chunked"
    return Stream(status, headers, reader, writer, chunked)
