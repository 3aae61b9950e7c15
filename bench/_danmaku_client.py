"""
A share of the viewers of `python -m bench danmaku_fanout`: one process, one uvloop event loop,
raw asyncio protocols that do the WebSocket handshake themselves and parse frames minimally (no
permessage-deflate offered, client frames masked with a zero key, pings answered).

Run as `python -m bench._danmaku_client` with a JSON config on stdin's first line:
`{"port", "path", "origin", "cookies": [cookie or null, ...], "senders": {"<socket index>":
sender number}, "senders_total", "rate", "seconds", "drain", "nonce"}`. It connects every socket,
prints `READY {...}`, waits for `GO <t0>` on stdin (t0 on CLOCK_MONOTONIC, which every process of
the machine shares), sends its senders' share of the schedule (message k at t0 + k / rate, from
sender k % senders_total) and prints `RESULT {...}` after the drain.

Each message's text is `~dm:<nonce>:<k>:<send time in µs>`; a viewer takes the receipt time once
per read and the latency per `danmaku` frame as receipt - send time.
"""

import asyncio
import base64
import json
import os
import struct
import sys
import time

import uvloop

CONNECT_AT_ONCE = 32
CONNECT_TIMEOUT = 60.0
MASK = b"\x00\x00\x00\x00"


def _client_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return header + MASK + payload  # a zero mask leaves the payload as it is


class Viewer(asyncio.Protocol):
    def __init__(self, run: "Run", index: int, request: bytes):
        self.run = run
        self.index = index
        self.request = request
        self.transport = None
        self.buffer = bytearray()
        self.upgraded = False
        self.handshake: asyncio.Future = run.loop.create_future()
        self.closed = False
        self.fragments: list[bytes] = []

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc):
        self.closed = True
        if not self.handshake.done():
            self.handshake.set_exception(exc or ConnectionResetError("closed in the handshake"))
        elif self.run.measuring:
            self.run.dropped += 1

    def data_received(self, data):
        now = time.monotonic()
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[:end]).split(b" ", 2)
            del buffer[: end + 4]
            if len(status) < 2 or status[1] != b"101":
                self.handshake.set_exception(ConnectionError(f"handshake: {status[1:2]}"))
                self.transport.close()
                return
            self.upgraded = True
            self.handshake.set_result(None)
        # Frames: FIN/opcode, length (server frames are not masked).
        offset, size = 0, len(buffer)
        while size - offset >= 2:
            first, second = buffer[offset], buffer[offset + 1] & 0x7F
            start = offset + 2
            if second == 126:
                if size - offset < 4:
                    break
                second = (buffer[offset + 2] << 8) | buffer[offset + 3]
                start = offset + 4
            elif second == 127:
                if size - offset < 10:
                    break
                second = struct.unpack_from("!Q", buffer, offset + 2)[0]
                start = offset + 10
            end = start + second
            if end > size:
                break
            payload = bytes(buffer[start:end])
            offset = end
            opcode = first & 0x0F
            if opcode == 0x1 or opcode == 0x0:
                if not first & 0x80:
                    self.fragments.append(payload)
                    continue
                if self.fragments:
                    payload = b"".join(self.fragments) + payload
                    self.fragments = []
                self.run.on_text(self, payload, now)
            elif opcode == 0x9:  # ping: pong with the same payload
                self.transport.write(_client_frame(payload, 0xA))
            elif opcode == 0x8:
                self.run.closes.append(payload[:2].hex())
                self.transport.close()
        if offset:
            del buffer[:offset]

    def send(self, text: str):
        if self.transport is not None and not self.closed:
            self.transport.write(_client_frame(text.encode()))


class Run:
    def __init__(self, config: dict):
        self.config = config
        self.loop = asyncio.get_running_loop()
        self.nonce = config["nonce"].encode()
        self.marker = b"~dm:" + self.nonce + b":"
        self.total_messages = int(config["rate"] * config["seconds"])
        self.received = [0] * self.total_messages
        self.latencies: list[float] = []
        self.acked: dict[int, int] = {}  # message → seq
        self.errors: dict[str, int] = {}
        self.sent_at: dict[int, float] = {}
        self.ack_latencies: list[float] = []
        self.closes: list[str] = []
        self.dropped = 0
        self.measuring = False
        self.viewers: list[Viewer] = []
        self.first_receipt = None
        self.last_receipt = None
        self.last_seq: dict[int, int] = {}
        self.out_of_order = 0

    def on_text(self, viewer: Viewer, payload: bytes, now: float):
        at = payload.find(self.marker)
        if at >= 0 and payload.startswith(b'{"type": "danmaku"'):
            start = at + len(self.marker)
            stop = payload.index(b'"', start)
            k, sent_us = payload[start:stop].split(b":")
            k = int(k)
            if k < self.total_messages:
                self.received[k] += 1
                self.latencies.append(now - int(sent_us) / 1e6)
                if self.first_receipt is None:
                    self.first_receipt = now
                self.last_receipt = now
                seq_at = payload.find(b'"seq": ')
                if seq_at >= 0:
                    seq = int(payload[seq_at + 7 : payload.index(b",", seq_at)])
                    if seq <= self.last_seq.get(viewer.index, 0):
                        self.out_of_order += 1
                    self.last_seq[viewer.index] = seq
            return
        if payload.startswith(b'{"type": "sent"'):
            message = json.loads(payload)["payload"]
            k = int(message["client_id"])
            self.acked[k] = message.get("seq", 0)
            if k in self.sent_at:
                self.ack_latencies.append(time.monotonic() - self.sent_at[k])
        elif payload.startswith(b'{"type": "error"'):
            code = json.loads(payload)["payload"].get("code", "?")
            self.errors[code] = self.errors.get(code, 0) + 1

    async def connect(self) -> dict:
        config = self.config
        host = f"127.0.0.1:{config['port']}"
        gate = asyncio.Semaphore(CONNECT_AT_ONCE)
        started = time.monotonic()
        failures: dict[str, int] = {}

        async def one(index: int, cookie: str | None):
            key = base64.b64encode(os.urandom(16)).decode()
            lines = [
                f"GET {config['path']} HTTP/1.1",
                f"Host: {host}",
                "Upgrade: websocket",
                "Connection: Upgrade",
                f"Sec-WebSocket-Key: {key}",
                "Sec-WebSocket-Version: 13",
                f"Origin: {config['origin']}",
            ]
            if cookie:
                lines.append(f"Cookie: {cookie}")
            viewer = Viewer(self, index, ("\r\n".join(lines) + "\r\n\r\n").encode())
            async with gate:
                try:
                    await self.loop.create_connection(lambda: viewer, "127.0.0.1", config["port"])
                    await asyncio.wait_for(viewer.handshake, CONNECT_TIMEOUT)
                except Exception as error:
                    name = type(error).__name__ + ":" + str(error)[:60]
                    failures[name] = failures.get(name, 0) + 1
                    return
            self.viewers.append(viewer)

        await asyncio.gather(*(one(i, c) for i, c in enumerate(config["cookies"])))
        # Let every room's `state` and `backfill` arrive before the clock starts.
        await asyncio.sleep(1.0)
        return {
            "connected": len(self.viewers),
            "failed": failures,
            "seconds": round(time.monotonic() - started, 2),
        }

    async def send_schedule(self, t0: float):
        config = self.config
        rate, senders_total = config["rate"], config["senders_total"]
        mine = {int(k): int(v) for k, v in config["senders"].items()}
        by_sender = {v: k for k, v in mine.items()}
        by_index = {v.index: v for v in self.viewers}
        for k in range(self.total_messages):
            sender = k % senders_total
            index = by_sender.get(sender)
            if index is None:
                continue
            viewer = by_index.get(index)
            if viewer is None:
                continue
            due = t0 + k / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.monotonic()
            self.sent_at[k] = now
            text = f"~dm:{config['nonce']}:{k}:{int(now * 1e6)}"
            viewer.send(
                json.dumps({"type": "send", "text": text, "video_time": 1.5, "client_id": str(k)})
            )

    async def measure(self, t0: float) -> dict:
        config = self.config
        self.measuring = True
        connected = sum(1 for v in self.viewers if not v.closed)
        cpu = time.process_time()
        await self.send_schedule(t0)
        end = t0 + config["seconds"] + config["drain"]
        await asyncio.sleep(max(0.0, end - time.monotonic()))
        self.measuring = False
        still = sum(1 for v in self.viewers if not v.closed)
        for viewer in self.viewers:
            viewer.transport.close()
        return {
            "viewers_at_start": connected,
            "viewers_at_end": still,
            "dropped": self.dropped,
            "received": self.received,
            "latencies": self.latencies,
            "acked": {str(k): seq for k, seq in self.acked.items()},
            "sent": sorted(self.sent_at),
            "ack_latencies": self.ack_latencies,
            "errors": self.errors,
            "closes": self.closes,
            "out_of_order": self.out_of_order,
            "first_receipt": self.first_receipt,
            "last_receipt": self.last_receipt,
            "cpu_seconds": time.process_time() - cpu,
        }


async def main() -> None:
    config = json.loads(sys.stdin.readline())
    run = Run(config)
    ready = await run.connect()
    print("READY " + json.dumps(ready), flush=True)
    reader = asyncio.StreamReader()
    await run.loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    line = (await reader.readline()).decode().split()
    if not line or line[0] != "GO":
        return
    result = await run.measure(float(line[1]))
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    uvloop.run(main())
