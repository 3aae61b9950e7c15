"""
Lecture fan-out: one Redis subscription per server process per lecture, each frame encoded once,
then written to that process's sockets of the lecture.

Going through the channel layer costs one Redis message, one decode and one consumer dispatch
per viewer and message; with 1,000 viewers of one lecture that saturates two cores at a few
thousand deliveries a second (channels_redis #83, #62, #98). Here a message costs one PUBLISH,
and in every server process one decode of its sequence header and one socket write per local
viewer. Channels still does the routing, authentication and the consumer; only the lecture's
broadcasts skip its layer.

A frame is also turned into its WebSocket bytes once (one unfragmented, unmasked text frame) and,
for sockets served by uvicorn's websockets-sansio protocol, written straight to each socket's
transport: no per-viewer coroutine, ASGI message, UTF-8 encoding or frame building, and no wait
on a viewer whose socket is paused (its kernel buffer full): its transport buffers the frame. A
viewer more than MAX_BEHIND bytes behind is cut off; it reconnects with `?after=` and gets what it
missed from the backfill. Other servers (and the tests' communicators) get `deliver` as before.

Wire format on Redis: `"<seq>\\n<json frame>"`, `seq` 0 for frames without one.
Without `REDIS_URL` (the embedded default) there is one process, and frames go straight to the
local hubs.
"""

import asyncio
import contextvars
import json
import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable
from typing import Protocol

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from websockets.frames import Frame, Opcode

logger = logging.getLogger(__name__)

VIEWERS_EVERY_SECONDS = 2.0
VIEWERS_STALE_SECONDS = 10.0
# Bytes a viewer's transport may hold unsent before the viewer is cut off (minutes of comments).
MAX_BEHIND = 1 << 20


class Listener(Protocol):
    async def deliver(self, seq: int, text: str) -> None: ...

    # Optional: `write_now(seq, text, wire) -> bool` takes the frame without awaiting (`wire` is
    # its WebSocket bytes); False sends the hub to `deliver` instead.


def websocket_frame(text: str) -> bytes:
    """`text` as one unmasked server-to-client WebSocket text frame, without extensions."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


class DirectSocket:
    """
    A uvicorn websockets-sansio connection, written to without going through ASGI. Frames keep
    their order with everything else the connection writes: uvicorn's own sends also write whole
    frames to the same transport synchronously.
    """

    __slots__ = ("open_state", "protocol")

    def __init__(self, protocol, open_state):
        self.protocol = protocol
        self.open_state = open_state

    def write(self, wire: bytes) -> None:
        protocol = self.protocol
        transport = protocol.transport
        if (
            protocol.close_sent
            or protocol.disconnected
            or transport.is_closing()
            or protocol.conn.state is not self.open_state
        ):
            return  # closing: its consumer's disconnect takes it out of the room
        if transport.get_write_buffer_size() > MAX_BEHIND:
            logger.info("livestream: a viewer fell %d bytes behind; cut off", MAX_BEHIND)
            transport.abort()
            return
        transport.write(wire)


def direct_socket(send) -> DirectSocket | None:
    """
    The uvicorn websockets-sansio connection behind an ASGI `send` (through Channels' session
    wrapper), or None when the socket is served some other way (tests, daphne, wsproto).
    """
    try:
        from websockets.protocol import Protocol as WebSocketProtocol
        from websockets.protocol import State
    except ImportError:  # pragma: no cover
        return None
    for _depth in range(8):
        owner = getattr(send, "__self__", None)
        if owner is None:
            return None
        if (
            isinstance(getattr(owner, "conn", None), WebSocketProtocol)
            and hasattr(owner, "transport")
            and hasattr(owner, "close_sent")
            and hasattr(owner, "disconnected")
            and getattr(owner, "handshake_complete", False)
        ):
            return DirectSocket(owner, State.OPEN)
        send = getattr(owner, "real_send", None)
    return None


def lecture_channel(lecture_id: int, *, staff: bool = False) -> str:
    prefix = settings.LIVESTREAM_CHANNEL_PREFIX
    return f"{prefix}:lecture:{lecture_id}" + (":staff" if staff else "")


def _viewers_key(lecture_id: int) -> str:
    return f"{settings.LIVESTREAM_CHANNEL_PREFIX}:viewers:{lecture_id}"


def frame(event: str, payload: dict) -> str:
    """A socket frame as its text: `{"type": event, "payload": payload}`."""
    return json.dumps(
        {"type": event, "payload": payload}, cls=DjangoJSONEncoder, ensure_ascii=False
    )


# Sending, from synchronous code (services, in web threads, workers or consumers' threads).

_sync_client = None
_sync_client_lock = threading.Lock()


def _redis():
    global _sync_client
    if _sync_client is None:
        import redis

        with _sync_client_lock:
            if _sync_client is None:
                _sync_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
    return _sync_client


def publish(lecture_id: int, event: str, payload: dict, *, seq: int = 0, staff: bool = False):
    """Send a frame to every viewer of the lecture (with `staff`: to its moderators only)."""
    channel = lecture_channel(lecture_id, staff=staff)
    data = f"{seq}\n{frame(event, payload)}"
    if settings.REDIS_URL:
        try:
            _redis().publish(channel, data)
        except Exception:  # a lost broadcast heals on the viewers' next reconnect (backfill)
            logger.exception("livestream: publishing to %s failed", channel)
    else:
        for hub in list(_hubs.values()):
            if not hub.loop.is_closed():
                # A fresh context: the caller's (asgiref's sync thread) must not leak into the
                # hub's tasks, or their database calls would find the executor taken.
                hub.loop.call_soon_threadsafe(
                    hub.dispatch, channel, data, context=contextvars.Context()
                )


def publish_on_commit(
    lecture_id: int, event: str, payload: dict, *, seq: int = 0, staff: bool = False
):
    transaction.on_commit(lambda: publish(lecture_id, event, payload, seq=seq, staff=staff))


# Receiving: one hub per event loop (a server process has one; tests get one per test).

_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


def hub() -> "Hub":
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub(loop)
    return found


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.rooms: dict[str, set[Listener]] = {}
        self.viewers: dict[int, int] = {}  # lecture id → sockets of this process
        self.totals: dict[int, int] = {}  # lecture id → sockets of every process, last read
        self.on_viewers: dict[int, set[Callable[[int], Awaitable[None]]]] = {}
        self.process = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._pubsub = None
        self._redis = None
        self._reader: asyncio.Task | None = None
        self._ticker: asyncio.Task | None = None
        self._subscribing = asyncio.Lock()
        self._local: asyncio.Queue | None = None
        self._local_worker: asyncio.Task | None = None

    def _client(self):
        """This loop's Redis client; no read timeout, so the subscriber waits out quiet lectures."""
        if self._redis is None:
            import redis.asyncio

            self._redis = redis.asyncio.Redis.from_url(
                settings.REDIS_URL, socket_timeout=None, decode_responses=True
            )
        return self._redis

    async def close(self) -> None:
        for task in (self._reader, self._ticker, self._local_worker):
            if task is not None:
                task.cancel()
        if self._pubsub is not None:
            await self._pubsub.aclose()
        if self._redis is not None:
            await self._redis.aclose()
        self.rooms.clear()

    # Rooms

    async def join(self, channel: str, listener: Listener) -> None:
        room = self.rooms.get(channel)
        if room is None:
            room = self.rooms[channel] = set()
            room.add(listener)
            if settings.REDIS_URL:
                await self._subscribe(channel)
        else:
            room.add(listener)

    async def leave(self, channel: str, listener: Listener) -> None:
        room = self.rooms.get(channel)
        if room is None:
            return
        room.discard(listener)
        if not room:
            del self.rooms[channel]
            if settings.REDIS_URL and self._pubsub is not None:
                async with self._subscribing:
                    if channel not in self.rooms:
                        await self._pubsub.unsubscribe(channel)

    def dispatch(self, channel: str, data: str) -> None:
        """Hand a frame published in this process (no Redis) to the fan-out, in order."""
        if self._local is None:
            self._local = asyncio.Queue()
            self._local_worker = self.loop.create_task(self._drain_local())
        self._local.put_nowait((channel, data))

    async def _drain_local(self) -> None:
        while True:
            channel, data = await self._local.get()
            await self._fanout(channel, data)

    async def _fanout(self, channel: str, data: str) -> None:
        """
        Write one frame to every local socket of the room, one after the other in this one
        task: frames keep their order. Sockets that take a direct write (`write_now`) cost a
        transport write each and never make the others wait; the rest are awaited in turn.
        """
        room = self.rooms.get(channel)
        if not room:
            return
        header, _newline, text = data.partition("\n")
        seq = int(header) if header.isdigit() else 0
        wire = websocket_frame(text)
        for listener in tuple(room):
            try:
                write_now = getattr(listener, "write_now", None)
                if write_now is None or not write_now(seq, text, wire):
                    await listener.deliver(seq, text)
            except Exception:  # a socket closing under us; its consumer cleans up
                logger.debug("livestream: a delivery failed", exc_info=True)

    async def _subscribe(self, channel: str) -> None:
        async with self._subscribing:
            if self._pubsub is None:
                self._pubsub = self._client().pubsub(ignore_subscribe_messages=True)
                await self._pubsub.subscribe(channel)
                self._reader = self.loop.create_task(self._read())
            elif channel in self.rooms:
                await self._pubsub.subscribe(channel)

    async def _read(self) -> None:
        while True:
            try:
                if not self._pubsub.subscribed:
                    await asyncio.sleep(0.05)
                    continue
                message = await self._pubsub.get_message(timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis went away: viewers get what they missed on reconnect
                logger.exception("livestream: the lecture subscription failed; retrying")
                await asyncio.sleep(1)
                continue
            if message is not None and message["type"] == "message":
                await self._fanout(message["channel"], message["data"])

    # Viewer counts: each process writes its own count into a Redis hash every couple of
    # seconds; the sum of the fresh entries is the lecture's audience.

    def viewer_joined(self, lecture_id: int, notify: Callable[[int], Awaitable[None]]) -> None:
        self.viewers[lecture_id] = self.viewers.get(lecture_id, 0) + 1
        self.on_viewers.setdefault(lecture_id, set()).add(notify)
        if self._ticker is None or self._ticker.done():
            self._ticker = self.loop.create_task(self._tick())

    def viewer_left(self, lecture_id: int, notify: Callable[[int], Awaitable[None]]) -> None:
        left = self.viewers.get(lecture_id, 0) - 1
        if left > 0:
            self.viewers[lecture_id] = left
        else:
            self.viewers[lecture_id] = 0  # written as 0 once, then forgotten by the ticker
        callbacks = self.on_viewers.get(lecture_id)
        if callbacks is not None:
            callbacks.discard(notify)

    def viewer_count(self, lecture_id: int) -> int:
        return max(self.totals.get(lecture_id, 0), self.viewers.get(lecture_id, 0))

    async def _tick(self) -> None:
        while self.viewers:
            try:
                await self._count_viewers()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("livestream: counting viewers failed")
            await asyncio.sleep(VIEWERS_EVERY_SECONDS)

    async def _count_viewers(self) -> None:
        now = time.time()
        for lecture_id, local in list(self.viewers.items()):
            if settings.REDIS_URL:
                total = await self._shared_count(lecture_id, local, now)
            else:
                total = local
            if local == 0:
                del self.viewers[lecture_id]
                self.on_viewers.pop(lecture_id, None)
            if self.totals.get(lecture_id) != total:
                self.totals[lecture_id] = total
                for notify in tuple(self.on_viewers.get(lecture_id, ())):
                    try:
                        await notify(total)
                    except Exception:  # a socket closing under us
                        logger.debug("livestream: a viewer count was not sent", exc_info=True)

    async def _shared_count(self, lecture_id: int, local: int, now: float) -> int:
        key = _viewers_key(lecture_id)
        async with self._client().pipeline(transaction=False) as pipe:
            if local:
                pipe.hset(key, self.process, f"{local}:{now:.0f}")
            else:
                pipe.hdel(key, self.process)
            pipe.expire(key, int(VIEWERS_STALE_SECONDS * 3))
            pipe.hgetall(key)
            *_, entries = await pipe.execute()
        total = 0
        for value in entries.values():
            count, _colon, stamp = value.partition(":")
            if count.isdigit() and stamp.isdigit() and now - int(stamp) < VIEWERS_STALE_SECONDS:
                total += int(count)
        return total


async def hub_close() -> None:
    """Stop this event loop's hub: its reader, ticker and Redis connections (tests, shutdown)."""
    found = _hubs.pop(asyncio.get_running_loop(), None)
    if found is not None:
        await found.close()
