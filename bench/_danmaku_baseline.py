"""
The baseline of `python -m bench danmaku_fanout`: a bare ASGI WebSocket broadcast, served by the
same uvicorn (`--ws websockets-sansio`, one worker, since its sockets live in one process).

It accepts every socket; when a client sends `{"type": "send", "text", "client_id", ...}` it
builds the frame a viewer would get (`{"type": "danmaku", "payload": {...}}`, numbered in
order), encodes it once and writes it to every connected socket in turn (`await send(...)`,
the plain ASGI way), then acks the sender with `{"type": "sent", ...}`. No Django, no database,
no Redis.
"""

import json
from datetime import UTC, datetime

_sockets: dict[int, object] = {}
_state = {"seq": 0, "next": 0}


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "websocket":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    me = _state["next"] = _state["next"] + 1
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "websocket.connect":
            await send({"type": "websocket.accept"})
            _sockets[me] = send
        elif kind == "websocket.disconnect":
            _sockets.pop(me, None)
            return
        elif kind == "websocket.receive":
            try:
                frame = json.loads(message.get("text") or "")
            except ValueError:
                continue
            if not isinstance(frame, dict) or frame.get("type") != "send":
                continue
            _state["seq"] += 1
            seq = _state["seq"]
            payload = {
                "id": seq,
                "seq": seq,
                "text": str(frame.get("text", ""))[:100],
                "mode": "scroll",
                "color": "#ffffff",
                "size": "normal",
                "video_time": frame.get("video_time"),
                "sent_at": datetime.now(UTC).isoformat(),
                "author": {"id": me, "name": f"Viewer {me}"},
                "confused": False,
            }
            text = json.dumps({"type": "danmaku", "payload": payload}, ensure_ascii=False)
            for other in tuple(_sockets.values()):
                try:
                    await other({"type": "websocket.send", "text": text})
                except Exception:
                    continue
            ack = {"client_id": frame.get("client_id"), "id": seq, "seq": seq}
            await send(
                {"type": "websocket.send", "text": json.dumps({"type": "sent", "payload": ack})}
            )
