"""
Submit → plan latency on the production-like setup: how long after a student submits a test
their open page hears `plan.updated`, when the system is idle and during a rush of submits.

The path measured (DESIGN.md §3): `POST /api/v1/assessments/attempts/<id>/submit/` grades the
attempt and writes a `PlanRefresh` outbox row in one transaction; on commit the server enqueues
`personalization.learner_refresh` on the Celery broker (Redis); a worker process recomputes the
learner's mastery, rebuilds the `StudyPlan` and, on its commit, pushes
`{"type": "plan.updated", "payload": {"revision", "trigger"}}` through the channel layer (Redis) to
the learner's group; the uvicorn worker holding the learner's `/ws/events/` socket sends it on.

The server is the one `make run` serves (uvicorn `lms.asgi:application --workers 2 --backlog
2048`, DEBUG off, PostgreSQL, Redis; settings bench._settings); the worker is a real Celery worker
(`celery -A lms worker --concurrency 2`, prefork, the project's settings: acks_late, prefetch 1)
consuming a queue of this run's own. The load generator runs in this process: asyncio on uvloop,
exam_rush's keep-alive HTTP/1.1 client (bench/exam_rush.py) and `websockets` for the sockets, which
sign in with the student's session cookie (as a browser's page does) while the submit
authenticates with the student's API token. Every student starts with an attempt of 20 answers
saved (bench/_plan_seed.py), so only the submit and what follows it is measured.

A probe: open the student's socket, open an HTTP connection, then send the submit; its latency is
from the submit's first byte written to the `plan.updated` frame naming that attempt read off the
socket (whether or not the HTTP response came first).

1. warm-up (not counted): a few probes one after another, then a few at once, so that every pool
   process of the worker has loaded the model and every server worker has served a socket;
2. idle: P probe students (100) one at a time, each measured twice, alternating which goes first:
   the submit, and the baseline: a POST to a bare bench view (bench/_views.py, same middleware)
   that enqueues a bench-only task whose only work is to push `plan.updated` to the student's
   group on commit (bench/_tasks.py), i.e. the same path without grading, mastery and plan;
3. rush: R students (1,000) submit at the same moment, each on its own connection opened
   beforehand (exam_rush's submit burst), while 50 more probe students, sockets open beforehand,
   submit one by one spread over R / 1,000 seconds from the burst's start (the issue's rush is
   1,000 submits/s); then PostgreSQL is polled (psycopg) until no `PlanRefresh` is pending;
4. lost: submitted attempts whose refresh is not done (pending, failed or never written), plus
   probes whose submit succeeded but never heard `plan.updated`. Must be 0.

Where the time goes: the bench's worker logs every task's start, end and run time
(bench/_tasks.py, BENCH_TASK_LOG), so a probe's latency splits into `to_task_start` (the submit
request, its commit, the broker and the wait in the queue) and `task_run` (the refresh itself);
the seed also times `learner_refresh` in its own process (mastery, plan, the rest) and counts its
SQL. CPU of the server, the worker, PostgreSQL's backends for the bench database and this process
comes from /proc.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL (a Redis database of its own, e.g. /5; the cache uses
the next one); the developer's database is never touched (the bench creates and drops
`pathwise_bench_plan` on the same server) and the Redis keys of the run are deleted afterwards.

`python -m bench plan_latency --students 1000 --probes 100 --rush-probes 50
--worker-concurrency 2 --workers 2` (the defaults).
"""

import argparse
import asyncio
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import uvloop
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from bench.__main__ import main as bench_main
from bench.exam_rush import (
    BACKLOG,
    _burst,
    _call,
    _connect,
    _Connection,
    _Meter,
    _percentile,
    _raise_file_limit,
    _request,
    _Sample,
    _summary,
)
from bench.exam_rush import _versions as _exam_versions
from bench.pages import (
    HOST,
    ROOT,
    BenchError,
    _bench_database,
    _bench_environment,
    _proc_cpu_seconds,
    _require_services,
    _seed,
    _server,
    _server_pids,
    _wait_until_up,
)

BENCH_DATABASE = "pathwise_bench_plan"
PREFIX = "pathwise-bench-plan"
STUDENTS = 1000
PROBES = 100
RUSH_PROBES = 50
WORKER_CONCURRENCY = 2
WORKERS = 2
# The rush: 1,000 submits a second. The rush probes are spread over the time R submits
# take at that rate.
NOMINAL_RUSH_RATE = 1000
IDLE_TIMEOUT = 30.0  # seconds a probe waits for plan.updated when nothing else runs
DRAIN_TIMEOUT = 900.0  # seconds the rush's refreshes may take to drain before giving up
# Give up the drain earlier when the pending count has not moved for this long (a failed refresh
# stays pending until the beat sweep, which the bench does not run).
STALL_SECONDS = 60.0
POLL_SECONDS = 0.1
PROBE_GRACE = 15.0  # seconds the rush probes may still take once the queue has drained
PAUSE_BETWEEN_PROBES = 0.05
WORKER_START_TIMEOUT = 120.0
GOAL = {"idle_p95_ms": 50, "rush_p99_ms": 500}
REFRESH_TASK = "personalization.learner_refresh"
BASELINE_TASK = "bench.plan_baseline"


class _Worker:
    """The Celery worker process and its node name."""

    def __init__(self, process: subprocess.Popen, nodename: str):
        self.process, self.nodename = process, nodename


@contextmanager
def _celery_worker(env: dict[str, str], log_path: Path, concurrency: int, queue: str):
    """A real worker in its own process group, on `queue`; stopped (warm shutdown) afterwards."""
    nodename = f"{PREFIX}-{secrets.token_hex(3)}@{socket.gethostname()}"
    args = [
        sys.executable, "-m", "celery", "-A", "lms", "worker", f"--concurrency={concurrency}",
        "--loglevel=WARNING", "--queues", queue, "--hostname", nodename,
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield _Worker(process, nodename)
        finally:
            process.terminate()  # warm shutdown: the pool finishes the tasks it holds
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            with suppress(ProcessLookupError):  # a pool process the main one left behind
                os.killpg(process.pid, signal.SIGKILL)


def _wait_for_worker(worker: _Worker, redis_url: str, log_path: Path) -> float:
    """Seconds until the worker answers a ping (Celery's remote control, on the same broker)."""
    from celery import Celery

    app = Celery("bench-plan-latency", broker=redis_url)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < WORKER_START_TIMEOUT:
            if worker.process.poll() is not None:
                raise BenchError(
                    f"the Celery worker exited with {worker.process.returncode}:\n"
                    f"{log_path.read_text()[-3000:]}"
                )
            try:
                if app.control.ping(destination=[worker.nodename], timeout=1.0):
                    return time.perf_counter() - started
            except Exception:  # the broker connection while the worker starts: try again
                pass
            time.sleep(0.5)
    finally:
        app.close()
    raise BenchError(
        f"the Celery worker did not answer a ping within {WORKER_START_TIMEOUT:.0f} s:\n"
        f"{log_path.read_text()[-3000:]}"
    )


class _PlanMeter(_Meter):
    """exam_rush's meter, for this bench's database, plus the Celery worker's processes."""

    def __init__(self, server: subprocess.Popen, worker: subprocess.Popen, admin_url: str):
        super().__init__(server, admin_url)
        self.worker = worker

    def _postgres(self) -> dict[int, float]:
        rows = self.admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [BENCH_DATABASE]
        ).fetchall()
        return _proc_cpu_seconds(pid for (pid,) in rows)

    def _worker_cpu(self) -> float:
        return sum(_proc_cpu_seconds(_server_pids(self.worker)).values())

    def snapshot(self) -> dict:
        return {**super().snapshot(), "worker": self._worker_cpu()}

    def since(self, before: dict) -> dict:
        worker = self._worker_cpu() - before["worker"]
        return {**super().since(before), "worker": worker}


# --- Probes -------------------------------------------------------------------------------------


@dataclass
class _Learner:
    id: int
    token: str
    session: str
    attempt: int
    conn: _Connection | None = None  # exam_rush's _connect and _burst set and use it


@dataclass
class _Probe:
    learner: _Learner
    kind: str  # "refresh" (the submit) or "baseline"
    sent_wall: float | None = None  # time.time() when the request was written
    sample: _Sample | None = None
    arrived: float | None = None  # perf_counter when plan.updated was read
    revision: int | None = None
    error: str = ""
    offset_s: float | None = None  # rush probes: sent this long after the burst started

    @property
    def submitted(self) -> bool:
        return (
            self.sample is not None
            and self.sample.status is not None
            and (200 <= self.sample.status < 300)
        )

    @property
    def latency_ms(self) -> float | None:
        if self.arrived is None or self.sample is None:
            return None
        return 1000 * (self.arrived - self.sample.sent)


@dataclass
class _Run:
    port: int
    cookie_name: str

    @property
    def host(self) -> str:
        return f"{HOST}:{self.port}"

    async def socket(self, learner: _Learner):
        """The student's `/ws/events/` socket, signed in by session cookie, as a page opens it."""
        return await ws_connect(
            f"ws://{self.host}/ws/events/",
            origin=f"http://{self.host}",
            additional_headers={"Cookie": f"{self.cookie_name}={learner.session}"},
            proxy=None,
            open_timeout=60,
        )

    async def http(self) -> _Connection:
        loop = asyncio.get_running_loop()
        conn = _Connection(loop)
        await loop.create_connection(lambda: conn, HOST, self.port)
        return conn

    def request(self, probe: _Probe, nonce: str) -> tuple[bytes, object]:
        """The probe's request and what the `plan.updated` it waits for must say."""
        learner = probe.learner
        if probe.kind == "baseline":
            path = f"/bench/plan-baseline/?student={learner.id}&nonce={nonce}"
            return (
                _request("POST", path, host=self.host, token=learner.token),
                lambda trigger: trigger.get("nonce") == nonce,
            )
        path = f"/api/v1/assessments/attempts/{learner.attempt}/submit/"
        return (
            _request("POST", path, host=self.host, token=learner.token),
            lambda trigger: trigger.get("attempt") == learner.attempt,
        )


async def _heard(ws, matches) -> tuple[float, dict]:
    """(perf_counter, payload) of the first `plan.updated` whose trigger `matches`."""
    while True:
        message = json.loads(await ws.recv())
        payload = message.get("payload") or {}
        if message.get("type") == "plan.updated" and matches(payload.get("trigger") or {}):
            return time.perf_counter(), payload


async def _measure(run: _Run, probe: _Probe, ws, conn: _Connection, timeout: float) -> _Probe:
    """Send the probe's request and wait for its `plan.updated` (set on `probe` as they come)."""
    data, matches = run.request(probe, secrets.token_hex(8))
    listener = asyncio.create_task(_heard(ws, matches))
    try:
        probe.sent_wall = time.time()
        probe.sample = await _call(conn, data)
        if not probe.submitted:
            probe.error = f"request: {probe.sample.status or probe.sample.error}"
            return probe
        waited = time.perf_counter() - probe.sample.sent
        probe.arrived, payload = await asyncio.wait_for(listener, max(timeout - waited, 0.1))
        probe.revision = payload.get("revision")
    except TimeoutError:
        probe.error = "no plan.updated (timeout)"
    except ConnectionClosed as error:
        probe.error = f"socket closed ({error.rcvd.code if error.rcvd else 'no close frame'})"
    finally:
        listener.cancel()
    return probe


async def _probe_alone(run: _Run, learner: _Learner, kind: str, timeout: float) -> _Probe:
    """One probe with nothing else in flight: socket, connection, request, wait; all closed."""
    probe = _Probe(learner, kind)
    try:
        ws = await run.socket(learner)
    except Exception as error:
        probe.error = f"socket: {type(error).__name__}: {error}"
        return probe
    try:
        conn = await run.http()
        try:
            await _measure(run, probe, ws, conn, timeout)
        finally:
            conn.close()
    finally:
        await ws.close()
    return probe


def _failures(probes: list[_Probe]) -> str:
    return "; ".join(
        f"student {p.learner.id} {p.kind}: {p.error} "
        f"{(p.sample.body[:300].decode(errors='replace') if p.sample else '')}"
        for p in probes
        if p.error
    )[:3000]


async def _warm_up(run: _Run, learners: list[_Learner]) -> dict:
    """Probes one by one, then the rest at once; any failure means the setup is broken."""
    sequential, together = learners[:2], learners[2:]
    probes = []
    for learner in sequential:
        for kind in ("baseline", "refresh"):
            probes.append(await _probe_alone(run, learner, kind, 60.0))
    probes += await asyncio.gather(
        *(_probe_alone(run, learner, "refresh", 60.0) for learner in together)
    )
    if any(p.error for p in probes):
        raise BenchError(f"warm-up failed: {_failures(probes)}")
    latencies = [p.latency_ms for p in probes if p.kind == "refresh"]
    return {"probes": len(probes), "refresh_latencies_ms": [round(x, 1) for x in latencies]}


async def _idle(run: _Run, learners: list[_Learner]) -> dict[str, list[_Probe]]:
    """Each student measured alone twice, submit and baseline, alternating which goes first."""
    found = {"refresh": [], "baseline": []}
    for k, learner in enumerate(learners):
        kinds = ("baseline", "refresh") if k % 2 == 0 else ("refresh", "baseline")
        for kind in kinds:
            found[kind].append(await _probe_alone(run, learner, kind, IDLE_TIMEOUT))
            await asyncio.sleep(PAUSE_BETWEEN_PROBES)
    return found


# --- Rush ---------------------------------------------------------------------------------------


class _Drain:
    """Polls the bench database (psycopg, async) for the outbox's pending count."""

    def __init__(self, url: str):
        self.url = url
        # (seconds since the burst started, refreshes pending), about once a second
        self.timeline: list[tuple[float, int]] = []
        self.peak = 0

    async def pending(self, conn) -> int:
        cursor = await conn.execute(
            "SELECT count(*) FROM personalization_planrefresh WHERE status = 'pending'"
        )
        return (await cursor.fetchone())[0]

    async def until_drained(self, started: float, burst: asyncio.Task, probes: list[_Probe]):
        """Seconds from `started` until the burst is answered, every probe sent and none pending."""
        import psycopg

        async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
            last_change, last_count, next_mark = time.perf_counter(), -1, 0.0
            while True:
                count = await self.pending(conn)
                now = time.perf_counter()
                self.peak = max(self.peak, count)
                if now - started >= next_mark:
                    self.timeline.append((round(now - started, 1), count))
                    next_mark += 1.0
                if count != last_count:
                    last_change, last_count = now, count
                sent = burst.done() and all(p.sample is not None for p in probes)
                if sent and count == 0:
                    return {"drained": True, "seconds": now - started, "pending_left": 0}
                if now - started > DRAIN_TIMEOUT or (sent and now - last_change > STALL_SECONDS):
                    why = "timeout" if now - started > DRAIN_TIMEOUT else "stalled"
                    return {"drained": False, "why": why, "seconds": now - started}
                await asyncio.sleep(POLL_SECONDS)


async def _rush(
    run: _Run, meter: _PlanMeter, drain: _Drain, rush: list[_Learner], learners: list[_Learner]
) -> dict:
    sockets = await asyncio.gather(*(run.socket(learner) for learner in learners))
    connect = await _connect([*rush, *learners], run.port)
    if connect["failed"]:
        raise BenchError(f"rush connections failed: {connect['failed']}")
    requests = [run.request(_Probe(s, "refresh"), "")[0] for s in rush]
    window = len(rush) / NOMINAL_RUSH_RATE
    probes = [_Probe(learner, "refresh") for learner in learners]
    before = meter.snapshot()
    started, started_wall = time.perf_counter(), time.time()

    async def delayed(probe: _Probe, ws, offset: float) -> _Probe:
        await asyncio.sleep(max(0.0, started + offset - time.perf_counter()))
        probe.offset_s = time.perf_counter() - started
        return await _measure(run, probe, ws, probe.learner.conn, DRAIN_TIMEOUT)

    burst = asyncio.create_task(_burst(rush, requests))
    probe_tasks = [
        asyncio.create_task(delayed(p, ws, (k + 0.5) * window / len(probes)))
        for k, (p, ws) in enumerate(zip(probes, sockets, strict=True))
    ]
    drained = asyncio.create_task(drain.until_drained(started, burst, probes))
    samples = await burst
    burst_cpu = meter.since(before)
    drained = await drained
    rush_cpu = meter.since(before)
    _done, late = await asyncio.wait(probe_tasks, timeout=PROBE_GRACE)
    for task in late:
        task.cancel()
    for probe in probes:
        if probe.submitted and probe.arrived is None and not probe.error:
            probe.error = "no plan.updated (given up after the drain)"
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    for learner in [*rush, *learners]:
        learner.conn.close()
    return {
        "samples": samples,
        "probes": probes,
        "burst_cpu": burst_cpu,
        "rush_cpu": rush_cpu,
        "drain": drained,
        "started_wall": started_wall,
        "connect": connect,
        "window_s": window,
    }


async def _drive(run: _Run, meter: _PlanMeter, drain: _Drain, groups: dict) -> dict:
    found = {"warmup": await _warm_up(run, groups["warmup"])}
    before = meter.snapshot()
    found["idle"] = await _idle(run, groups["idle"])
    found["idle_cpu"] = meter.since(before)
    found["rush"] = await _rush(run, meter, drain, groups["rush"], groups["rush_probes"])
    return found


# --- Figures ------------------------------------------------------------------------------------


def _stats(values: list[float], prefix: str = "") -> dict:
    if not values:
        return {f"{prefix}p50_ms": None, f"{prefix}p95_ms": None, f"{prefix}p99_ms": None}
    return {
        f"{prefix}p50_ms": round(_percentile(values, 50), 1),
        f"{prefix}p95_ms": round(_percentile(values, 95), 1),
        f"{prefix}p99_ms": round(_percentile(values, 99), 1),
    }


def _task_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _task_of(probe: _Probe, tasks: list[dict]) -> dict | None:
    """The worker's run of the probe's task: its student's first one after the request."""
    name = BASELINE_TASK if probe.kind == "baseline" else REFRESH_TASK
    runs = [
        t
        for t in tasks
        if t["task"] == name and t["student"] == probe.learner.id and t["start"] >= probe.sent_wall
    ]
    return min(runs, key=lambda t: t["start"]) if runs else None


def _probe_figures(probes: list[_Probe], tasks: list[dict]) -> dict:
    latencies = [p.latency_ms for p in probes if p.latency_ms is not None]
    to_start, runs, cpu, after = [], [], [], []
    for probe in probes:
        task = _task_of(probe, tasks) if probe.latency_ms is not None else None
        if task is None:
            continue
        waited = 1000 * (task["start"] - probe.sent_wall)
        to_start.append(waited)
        runs.append(task["run_ms"])
        cpu.append(task["cpu_ms"])
        after.append(probe.latency_ms - waited - task["run_ms"])
    errors = Counter(p.error.split(" (")[0].split(":")[0] for p in probes if p.error)
    return {
        **_stats(latencies),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "samples": len(latencies),
        "probes": len(probes),
        "errors": sum(errors.values()),
        "errors_by_kind": dict(errors),
        **_stats(
            [1000 * (p.sample.done - p.sample.sent) for p in probes if p.submitted], "request_"
        ),
        "breakdown": {
            "to_task_start": _stats(to_start),
            "task_run": _stats(runs),
            "task_cpu": _stats(cpu),
            "after_task": _stats(after),
            "matched_tasks": len(runs),
        },
    }


def _rush_figures(rush: dict, tasks: list[dict], profile: dict, concurrency: int) -> dict:
    samples, probes, drain = rush["samples"], rush["probes"], rush["drain"]
    http = _summary(samples, rush["burst_cpu"])
    last_response = max((s.done for s in samples), default=0.0)
    first_sent = min((s.sent for s in samples), default=0.0)
    refreshes = [
        t for t in tasks if t["task"] == REFRESH_TASK and t["start"] >= rush["started_wall"]
    ]
    worker_span = (
        max(t["end"] for t in refreshes) - min(t["start"] for t in refreshes) if refreshes else 0
    )
    cpu = rush["rush_cpu"]
    run_ms = [t["run_ms"] for t in refreshes]
    cpu_ms = [t["cpu_ms"] for t in refreshes]
    figures = _probe_figures(probes, tasks)
    sent_during = sum(1 for p in probes if p.sample is not None and p.sample.sent <= last_response)
    figures |= {
        "rush_submits": len(samples),
        "rush_submits_ok": http["ok_2xx"],
        "rush_submit_errors_by_status": http["errors_by_status"],
        "rush_submits_per_s": http["ok_per_s"],
        "rush_submits_wall_seconds": http["wall_seconds"],
        "rush_submit_p50_ms": http["p50_ms"],
        "rush_submit_p99_ms": http["p99_ms"],
        "probes_sent_before_the_last_rush_response": sent_during,
        "probe_offsets_s": {
            "first": round(min(p.offset_s or 0.0 for p in probes), 3),
            "last": round(max(p.offset_s or 0.0 for p in probes), 3),
        },
        "drained": drain["drained"],
        "drain_seconds_from_burst_start": round(drain["seconds"], 2),
        "drain_seconds_after_last_rush_response": round(
            drain["seconds"] - (last_response - first_sent), 2
        ),
        "pending_peak": 0,
        "worker_refreshes": len(refreshes),
        "worker_refreshes_per_s": round(len(refreshes) / worker_span, 1) if worker_span else None,
        **_stats(run_ms, "worker_refresh_run_"),
        "worker_refresh_run_mean_ms": round(sum(run_ms) / len(run_ms), 1) if run_ms else None,
        **_stats(cpu_ms, "worker_refresh_cpu_"),
        # What the queue alone predicts for the last of N refreshes: N x run time / concurrency.
        "queue_model_drain_seconds": (
            round(len(refreshes) * (sum(run_ms) / len(run_ms)) / 1000 / concurrency, 1)
            if run_ms
            else None
        ),
        "cpu": {
            "server_ms_per_submit": http["server_cpu_ms_per_request"],
            "worker_ms_per_refresh": (
                round(1000 * cpu["worker"] / len(refreshes), 1) if refreshes else None
            ),
            "postgres_ms_per_submit_and_refresh": (
                round(1000 * cpu["postgres"] / len(samples), 1)
                if cpu["postgres"] is not None and samples
                else None
            ),
            "machine_busy_pct_until_drained": round(cpu["machine_busy_pct"], 1),
            "machine_busy_pct_during_burst": http["machine_cpu_busy_pct"],
            "seconds_until_drained": round(cpu["wall"], 1),
            "worker_cpu_seconds": round(cpu["worker"], 1),
            "server_cpu_seconds": round(cpu["server"], 1),
            "postgres_cpu_seconds": round(cpu["postgres"] or 0, 1),
            "load_generator_cpu_seconds": round(cpu["client"], 1),
        },
        "in_process_refresh_median_ms": profile["refresh_median_ms"],
    }
    return figures


def _lost(bench_database_url: str, probes: list[_Probe]) -> dict:
    """Refreshes that never completed, straight from PostgreSQL, and probes never told."""
    import psycopg

    with psycopg.connect(bench_database_url) as conn:
        submitted, not_done = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM "
            "personalization_planrefresh r WHERE r.attempt_id = a.id AND r.status = 'done')) "
            "FROM assessments_attempt a WHERE a.status = 'submitted'"
        ).fetchone()
        pending, failed = conn.execute(
            "SELECT count(*) FILTER (WHERE status = 'pending'), "
            "count(*) FILTER (WHERE last_error <> '') FROM personalization_planrefresh"
        ).fetchone()
        last_error = conn.execute(
            "SELECT last_error FROM personalization_planrefresh WHERE last_error <> '' LIMIT 1"
        ).fetchone()
    never_told = [p for p in probes if p.submitted and p.arrived is None]
    return {
        "lost": not_done + len(never_told),
        "detail": {
            "submitted_attempts": submitted,
            "submitted_attempts_without_a_done_refresh": not_done,
            "refreshes_pending": pending,
            "refreshes_with_an_error": failed,
            "first_error": last_error[0][:500] if last_error else "",
            "probes_submitted_never_told": len(never_told),
        },
    }


def _versions(database_url: str, redis_url: str) -> dict:
    import celery
    import kombu
    import websockets

    return {
        **_exam_versions(database_url, redis_url),
        "celery": celery.__version__,
        "kombu": kombu.__version__,
        "websockets": websockets.__version__,
    }


def _redis_cleanup(redis_url: str, queue: str, task_ids: list[str]) -> int:
    """Delete this run's keys: its queue, task results, channel-layer groups, cached sessions."""
    import redis

    deleted = 0
    if task_ids:
        client = redis.Redis.from_url(redis_url)
        try:
            for k in range(0, len(task_ids), 500):
                chunk = task_ids[k : k + 500]
                deleted += client.delete(*(f"celery-task-meta-{t}" for t in chunk))
        finally:
            client.close()
    parts = urlsplit(redis_url)
    cache_db = int(parts.path.strip("/") or 0) + 1  # lms.settings.base: the cache's database
    cache_url = os.environ.get("CACHE_URL") or urlunsplit(parts._replace(path=f"/{cache_db}"))
    for url, patterns in (
        (redis_url, [f"*{queue}*", f"{PREFIX}:asgi*"]),
        (cache_url, [f"{PREFIX}:*"]),
    ):
        client = redis.Redis.from_url(url)
        try:
            for pattern in patterns:
                keys = list(client.scan_iter(match=pattern, count=1000))
                for k in range(0, len(keys), 500):
                    deleted += client.delete(*keys[k : k + 500])
        finally:
            client.close()
    return deleted


def _options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.plan_latency")
    parser.add_argument("--students", type=int, default=STUDENTS, help="rush students")
    parser.add_argument("--probes", type=int, default=PROBES, help="idle probe students")
    parser.add_argument("--rush-probes", type=int, default=RUSH_PROBES)
    parser.add_argument("--worker-concurrency", type=int, default=WORKER_CONCURRENCY)
    parser.add_argument("--workers", type=int, default=WORKERS, help="server workers")
    options = parser.parse_args(argv)
    if min(options.students, options.probes, options.rush_probes, options.workers) < 1:
        parser.error("--students, --probes, --rush-probes and --workers must be at least 1")
    if options.worker_concurrency < 1:
        parser.error("--worker-concurrency must be at least 1")
    return options


def run(argv: list[str] | None = None) -> dict:
    """Submit → plan latency, idle and in a rush; `argv`: the options of `_options`."""
    options = _options(argv or [])
    concurrency = options.worker_concurrency
    warmup = 2 + 2 * concurrency
    sizes = [warmup, options.probes, options.students, options.rush_probes]
    database_url, redis_url = _require_services("plan_latency", BENCH_DATABASE)
    limits = _raise_file_limit(sum(sizes))
    started = time.perf_counter()
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    queue = f"{PREFIX}-{secrets.token_hex(4)}"
    tasks: list[dict] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-plan-") as tmp:
            workdir = Path(tmp)
            server_log, worker_log = workdir / "uvicorn.log", workdir / "celery.log"
            task_log = workdir / "tasks.jsonl"
            with _bench_database(database_url, BENCH_DATABASE) as bench_database_url:
                env = _bench_environment(bench_database_url, redis_url, PREFIX)
                env |= {"BENCH_CELERY_QUEUE": queue, "BENCH_TASK_LOG": str(task_log)}
                seeded = _seed(env, "bench._plan_seed", "--students", str(sum(sizes)))
                seed_seconds = time.perf_counter() - started
                learners = [_Learner(**s) for s in seeded["students"]]
                groups, at = {}, 0
                for name, size in zip(
                    ("warmup", "idle", "rush", "rush_probes"), sizes, strict=True
                ):
                    groups[name], at = learners[at : at + size], at + size
                with (
                    _server(
                        env, server_log, workers=options.workers, server="uvicorn", backlog=BACKLOG
                    ) as (
                        server,
                        base,
                    ),
                    _celery_worker(env, worker_log, concurrency, queue) as worker,
                ):
                    _wait_until_up(server, f"{base}/bench/baseline/?user=0", "", server_log)
                    worker_ready_s = _wait_for_worker(worker, redis_url, worker_log)
                    run_ = _Run(urlsplit(base).port, seeded["session_cookie_name"])
                    meter = _PlanMeter(server, worker.process, database_url)
                    drain = _Drain(bench_database_url)
                    try:
                        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                            phases = runner.run(_drive(run_, meter, drain, groups))
                    finally:
                        meter.close()
                lost = _lost(
                    bench_database_url, [*phases["rush"]["probes"], *phases["idle"]["refresh"]]
                )
                tasks = _task_log(task_log)
            logs = {"server_log": server_log.read_text().strip()[-1000:]}
            worker_lines = worker_log.read_text().strip().splitlines()
            logs["worker_log_error_lines"] = sum(
                "ERROR" in line or "Traceback" in line for line in worker_lines
            )
            logs["worker_log_tail"] = "\n".join(worker_lines[-8:])[-1000:]
    finally:
        deleted = _redis_cleanup(redis_url, queue, [t["id"] for t in tasks])
    profile = seeded["profile"]
    idle = _probe_figures(phases["idle"]["refresh"], tasks)
    idle_cpu = phases["idle_cpu"]
    idle["cpu"] = {
        "worker_seconds": round(idle_cpu["worker"], 2),
        "server_seconds": round(idle_cpu["server"], 2),
        "postgres_seconds": round(idle_cpu["postgres"] or 0, 2),
        "machine_busy_pct": round(idle_cpu["machine_busy_pct"], 1),
        "note": "the whole idle phase: every probe's submit and its baseline",
    }
    baseline_idle = _probe_figures(phases["idle"]["baseline"], tasks)
    rush = _rush_figures(phases["rush"], tasks, profile, concurrency)
    rush["pending_peak"] = drain.peak
    rush["pending_timeline"] = drain.timeline
    checks = {
        f"idle p95 <= {GOAL['idle_p95_ms']} ms": (idle["p95_ms"] or float("inf"))
        <= GOAL["idle_p95_ms"],
        f"rush p99 <= {GOAL['rush_p99_ms']} ms": (rush["p99_ms"] or float("inf"))
        <= GOAL["rush_p99_ms"],
        "lost == 0": lost["lost"] == 0,
        "no failed request": idle["errors"] + rush["errors"] + baseline_idle["errors"] == 0
        and rush["rush_submits_ok"] == rush["rush_submits"],
    }
    cores = os.cpu_count() or 1
    return {
        "idle": idle,
        "rush": rush,
        "lost": lost["lost"],
        "lost_detail": lost["detail"],
        "baseline": {"idle": baseline_idle},
        "profile": profile,
        "goal": {"checks": checks, "met": all(checks.values())},
        "warmup": phases["warmup"],
        "setup": {
            "server": (
                f"uvicorn lms.asgi:application --workers {options.workers} --backlog {BACKLOG}, "
                "settings bench._settings (DEBUG off), plain HTTP and WebSocket"
            ),
            "worker": (
                f"celery -A lms worker --concurrency={concurrency} (prefork) --loglevel=WARNING "
                f"--queues {queue}; acks_late, prefetch multiplier 1"
            ),
            "worker_concurrency": concurrency,
            "server_workers": options.workers,
            "worker_ready_seconds": round(worker_ready_s, 1),
            "students": {name: len(group) for name, group in groups.items()},
            "data": (
                f"course {seeded['course_id']}: {seeded['knowledge_points']} knowledge points "
                f"in a prerequisite chain, {seeded['lessons']} lessons tagged with them, test "
                f"{seeded['test_id']} of {seeded['questions']} true/false and single-choice "
                "questions (unlimited attempts); every student has one attempt with all answers "
                "saved, weak on about a third of the knowledge points"
            ),
            "rush_probe_window_seconds": phases["rush"]["window_s"],
            "rush_connect": phases["rush"]["connect"],
            "idle_timeout_seconds": IDLE_TIMEOUT,
            "drain_timeout_seconds": DRAIN_TIMEOUT,
            "file_limit": limits,
            "machine_cores": cores,
            "cpu_affinity": len(os.sched_getaffinity(0)),
            "load_average_before": load_before,
            "load_average_after": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
            "machine": platform.platform(),
            "versions": _versions(database_url, redis_url),
            "seed_seconds": round(seed_seconds, 1),
            "redis_keys_deleted_after": deleted,
            **logs,
            "notes": (
                "latency = from the submit's (or baseline POST's) first byte written to the "
                "plan.updated frame read off the student's socket; percentiles nearest-rank; "
                "breakdown from the worker's task log: to_task_start = request, commit, broker "
                "and queue wait; task_run = the task's own run time (the push happens inside it, "
                "at its commit, so after_task is usually slightly negative); rush cpu covers "
                "burst start to drained, worker = the Celery main and pool processes; "
                "machine_busy_pct is all cores, all processes (other work on the machine too)"
            ),
        },
    }


if __name__ == "__main__":
    # `python -m bench.plan_latency --students N` is `python -m bench plan_latency --students N`.
    sys.exit(bench_main(["plan_latency", *sys.argv[1:]]))
