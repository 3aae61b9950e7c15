"""
Readiness checks for `/healthz` and `manage.py healthcheck`: database, cache, channel layer and
Celery broker, each with a short timeout so a dead service makes the check fail fast.
"""

import asyncio
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import caches
from django.db import connections

from lms.celery import app as celery_app

TIMEOUT_SECONDS = 3.0


def _check_database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connections["default"].vendor


def _check_cache() -> str:
    cache = caches["default"]
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != "ok":
        raise RuntimeError("value written to the cache could not be read back")
    return type(cache).__name__


def _check_channel_layer() -> str:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def round_trip():
        channel = await layer.new_channel("healthz.")
        await layer.send(channel, {"type": "healthz.ping"})
        return await layer.receive(channel)

    async def with_timeout():
        return await asyncio.wait_for(round_trip(), TIMEOUT_SECONDS)

    message = async_to_sync(with_timeout)()
    if message.get("type") != "healthz.ping":
        raise RuntimeError("unexpected message from the channel layer")
    return type(layer).__name__


def _check_broker() -> str:
    if celery_app.conf.task_always_eager:
        return "eager (no broker: tasks run in the web process)"
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=TIMEOUT_SECONDS)
        return conn.transport.driver_name


CHECKS: dict[str, Callable[[], str]] = {
    "database": _check_database,
    "cache": _check_cache,
    "channel_layer": _check_channel_layer,
    "broker": _check_broker,
}


def _in_worker_thread(check: Callable[[], str]) -> str:
    try:
        return check()
    finally:
        connections.close_all()  # the connections this worker thread opened


def run_checks(*, verbose: bool = False) -> tuple[bool, dict]:
    """
    Run every check at once, each in its own thread, and wait at most TIMEOUT_SECONDS for all:
    a check still running then counts as down. Returns (healthy, report), JSON-ready. Only a
    verbose report carries error messages, which may name internal hosts and ports.
    """
    started = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="healthz")
    try:
        futures = {name: pool.submit(_in_worker_thread, check) for name, check in CHECKS.items()}
        wait(futures.values(), timeout=TIMEOUT_SECONDS)
    finally:
        # A check that overran keeps its thread until its own timeout; nobody waits for it.
        pool.shutdown(wait=False, cancel_futures=True)
    results = {}
    for name, future in futures.items():
        if not future.done():
            results[name] = {"status": "down", "error": f"no answer in {TIMEOUT_SECONDS:g} s"}
        elif future.exception() is not None:
            exc = future.exception()
            error = f"{type(exc).__name__}: {exc}" if verbose else type(exc).__name__
            results[name] = {"status": "down", "error": error[:300]}
        else:
            results[name] = {"status": "ok", "detail": future.result()}
    healthy = all(result["status"] == "ok" for result in results.values())
    return healthy, {
        "status": "ok" if healthy else "down",
        "ms": round((time.perf_counter() - started) * 1000, 1),
        "checks": results,
    }
