"""A raw WebSocket relay with no database: the ceiling the real server is compared with.

    python bench/relay.py [--host 127.0.0.1] [--port 8765]

It speaks the subset of the socket protocol the load generator uses: the first frame
``auth`` is accepted blindly (the bench adds ``user_id`` and ``chats`` to its data, since the
relay has no accounts or memberships), ``send_message`` is acknowledged with
``message_sent`` and broadcast as ``new_message`` (with a cursor) to every socket of every
member of the chat, sender included, exactly as the server does; ``ping`` gets ``pong``.
Each frame is encoded once and the same bytes go to all recipients.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import signal

import msgspec
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed


class Frame(msgspec.Struct):
    type: str
    data: msgspec.Raw = msgspec.Raw(b"{}")


class Auth(msgspec.Struct):
    token: str = ""
    user_id: int = 0
    chats: list[int] = []


class Send(msgspec.Struct):
    chat_id: int
    client_id: str
    text: str
    reply_to_id: int | None = None


_frame = msgspec.json.Decoder(Frame)
_auth = msgspec.json.Decoder(Auth)
_send = msgspec.json.Decoder(Send)
_encode = msgspec.json.Encoder().encode
PONG = _encode({"type": "pong", "data": {}})


class Relay:
    """Chat membership by socket, message ids and the feed cursor, all in memory."""

    def __init__(self) -> None:
        self.members: dict[int, set[ServerConnection]] = {}
        self.next_id = 1

    async def handle(self, ws: ServerConnection) -> None:
        """One client: ``auth`` first, then frames until it goes away."""
        try:
            first = _frame.decode(await asyncio.wait_for(ws.recv(decode=False), 5))
        except (TimeoutError, ConnectionClosed, msgspec.DecodeError):
            await ws.close(1008, "auth expected")
            return
        if first.type != "auth":
            await ws.close(1008, "auth expected")
            return
        auth = _auth.decode(first.data)
        for chat in auth.chats:
            self.members.setdefault(chat, set()).add(ws)
        await ws.send(
            _encode({"type": "ready", "data": {"user": {"id": auth.user_id}, "cursor": 0}}),
            text=True,
        )
        try:
            async for raw in ws:
                self.on_frame(ws, auth.user_id, raw)
        except ConnectionClosed:
            pass
        finally:
            for chat in auth.chats:
                self.members.get(chat, set()).discard(ws)

    def on_frame(self, ws: ServerConnection, user_id: int, raw: str | bytes) -> None:
        frame = _frame.decode(raw)
        if frame.type == "send_message":
            send = _send.decode(frame.data)
            message_id = self.next_id
            self.next_id += 1
            message = {
                "id": message_id,
                "chat_id": send.chat_id,
                "sender_id": user_id,
                "client_id": send.client_id,
                "text": send.text,
                "reply_to_id": send.reply_to_id,
                "attachments": [],
                "created_at": dt.datetime.now(dt.UTC),
                "edited_at": None,
                "deleted": False,
            }
            ack = {"message": message}
            broadcast(
                self.members.get(send.chat_id, ()),
                _encode({"type": "new_message", "data": ack, "cursor": message_id}),
                text=True,
            )
            broadcast(
                [ws],
                _encode({"type": "message_sent", "data": {"client_id": send.client_id, **ack}}),
                text=True,
            )
        elif frame.type == "ping":
            broadcast([ws], PONG, text=True)


async def main(host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM."""
    relay = Relay()
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        relay.handle, host, port, compression=None, max_size=64 * 1024, ping_interval=None
    ):
        print(f"relay listening on ws://{host}:{port}", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(args.host, args.port))
    else:
        uvloop.run(main(args.host, args.port))
