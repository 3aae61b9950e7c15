"""
An exam rush on the production-like setup: N students (1,000) start the same exam at once, each
autosaves 20 answers, and all submit at once; then the database is checked against what they sent.

The server is the one `make run` serves (uvicorn `lms.asgi:application --workers 2 --backlog 2048`,
DEBUG off, PostgreSQL, Redis; settings bench._settings). The load generator runs in this process:
asyncio on uvloop with one keep-alive HTTP/1.1 connection per student, responses parsed by
httptools (uvicorn's own parser, no extra dependency), one request in flight per connection,
every request built before its phase starts. Each phase opens fresh connections first (uvicorn
closes idle ones after 5 s), waits a second for the server to accept them, then starts the clock:

1. start burst: every student POSTs /api/v1/assessments/<id>/attempts/ at the same moment;
2. autosave: every student PUTs its answers one after another (closed loop, N students at once);
3. baseline autosave: the same pattern against a bare view writing the same row (bench/_views.py);
4. baseline submit burst, 5. submit burst (every student at once), 6. baseline submit burst again:
   the baseline writes the rows a submit writes (20 responses and the attempt, one transaction)
   on a copy of the exam every student has started (seeded), through the same middleware;
7. verification, straight from PostgreSQL: each attempt is submitted, each response holds the
   answer and seq the student last sent for it, and each score equals the one computed here from
   the right and wrong answers sent (bench/_exam_seed.py gives both kinds for every question).

Latency is from the request's first byte written to its response's last byte read. Throughput is
requests over the time from the phase's first request sent to its last response received.
Besides, the seed step counts each endpoint's SQL queries and times it in-process (Django's test
client) and breaks a submit's time down (bench/_exam_seed.py); CPU per request of the server, of
PostgreSQL's backends for the bench database, and of this load generator comes from /proc.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL; the developer's database is never touched (the
bench creates and drops `pathwise_bench_exam` on the same server).

Knobs (environment): BENCH_EXAM_STUDENTS (1000), BENCH_EXAM_WORKERS (server workers, 2),
BENCH_EXAM_SAVES (autosaves per student, 20; beyond the 20 questions they revise answers),
BENCH_EXAM_CONNECT_PACE_MS (0: all connections at once; see CONNECT_PACE_MS).
`python -m bench.exam_rush --students 200 --workers 2` sets the same from the command line.
"""

import argparse
import asyncio
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import httptools
import uvloop

from bench.__main__ import main as bench_main
from bench.pages import (
    HOST,
    BenchError,
    _bench_database,
    _bench_environment,
    _machine_cpu,
    _proc_cpu_seconds,
    _require_services,
    _seed,
    _server,
    _server_pids,
    _wait_until_up,
)

BENCH_DATABASE = "pathwise_bench_exam"
STUDENTS = int(os.environ.get("BENCH_EXAM_STUDENTS", "1000"))
WORKERS = int(os.environ.get("BENCH_EXAM_WORKERS", "2"))
SAVES = int(os.environ.get("BENCH_EXAM_SAVES", "20"))
# Extra students who run the whole flow first, a few at a time: code paths, pools and caches warm.
WARMUP_STUDENTS = 16
BACKLOG = 2048
# Long enough to measure a slow response rather than drop it (a 1,000-request burst queues).
REQUEST_TIMEOUT = 300.0
SETTLE_SECONDS = 1.0
# 0: every student connects at the same moment (each uvicorn worker accepts what it can, which can
# leave one worker with most connections). Above 0: one connection every that many milliseconds;
# connections + settle must stay under uvicorn's 5 s keep-alive timeout (2 ms for 1,000).
CONNECT_PACE_MS = float(os.environ.get("BENCH_EXAM_CONNECT_PACE_MS", "0"))
GOAL = {"submits_per_s": 1000, "submit_p99_ms": 500}


# --- HTTP client --------------------------------------------------------------------------------


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection (a student's browser) with one request in flight."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self._waiter: asyncio.Future | None = None
        self.transport: asyncio.Transport | None = None

    # asyncio.Protocol
    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.transport = None
        self._finish(error=exc or ConnectionResetError("closed by the server"))

    def data_received(self, data):
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._finish(error=error)
            self.close()

    # httptools callbacks
    def on_body(self, body: bytes):
        self._body.append(body)

    def on_message_complete(self):
        body, self._body = b"".join(self._body), []
        self._finish(result=(self._parser.get_status_code(), body, time.perf_counter()))
        if not self._parser.should_keep_alive():
            self.close()

    def _finish(self, *, result=None, error=None):
        waiter, self._waiter = self._waiter, None
        if waiter is None or waiter.done():
            return
        if error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(result)

    def send(self, data: bytes) -> asyncio.Future:
        waiter = self._loop.create_future()
        if self.transport is None or self.transport.is_closing():
            waiter.set_exception(ConnectionResetError("not connected"))
            return waiter
        self._waiter = waiter
        self.transport.write(data)
        return waiter

    def close(self):
        if self.transport is not None:
            self.transport.close()


@dataclass
class _Sample:
    sent: float
    done: float
    status: int | None  # None: no response (the error says why)
    body: bytes = b""
    error: str = ""


async def _call(conn: _Connection, data: bytes) -> _Sample:
    sent = time.perf_counter()
    try:
        status, body, done = await asyncio.wait_for(conn.send(data), REQUEST_TIMEOUT)
    except TimeoutError:
        return _Sample(sent, time.perf_counter(), None, error="timeout")
    except OSError as error:
        return _Sample(sent, time.perf_counter(), None, error=f"socket:{type(error).__name__}")
    except httptools.HttpParserError as error:  # a response that is not HTTP
        return _Sample(sent, time.perf_counter(), None, error=f"http:{type(error).__name__}")
    return _Sample(sent, done, status, body)


def _request(method: str, path: str, *, host: str, token: str = "", body=None) -> bytes:
    payload = b"" if body is None else json.dumps(body).encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept: application/json"]
    if token:
        lines.append(f"Authorization: Token {token}")
    if body is not None:
        lines.append("Content-Type: application/json")
    lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


# --- Students -----------------------------------------------------------------------------------


@dataclass
class _Student:
    index: int
    id: int
    token: str
    baseline_attempt: int
    conn: _Connection | None = None
    attempt: int | None = None
    shown: list[int] = field(default_factory=list)  # question ids in the attempt's order
    # question id -> (seq, answer) of the last save sent
    sent: dict[int, tuple[int, dict]] = field(default_factory=dict)
    expected_score: Decimal = Decimal(0)
    saves: list[bytes] = field(default_factory=list)


def _is_right(student: int, question: int) -> bool:
    """Which answers a student gets right: about four in five, different for each student."""
    return (student * 7 + question * 3) % 5 != 0


def _plan_saves(student: _Student, questions: dict[int, dict], order: dict[int, int], host: str):
    """
    The student's autosaves in the order the attempt shows the questions, seq 1, 2, … Saves past
    one per question revise earlier answers: every save but a question's last sends the opposite
    of the answer the student ends with. Sets what the database must hold and the score it earns.
    """
    count = len(student.shown)
    student.saves, student.sent, score = [], {}, Decimal(0)
    for k in range(SAVES):
        question_id = student.shown[k % count]
        q = questions[question_id]
        right = _is_right(student.index, order[question_id])
        final = k + count >= SAVES
        if not final:
            right = not right
        variants = q["right"] if right else q["wrong"]
        answer = variants[(student.index + k) % len(variants)]
        student.sent[question_id] = (k + 1, answer)
        path = f"/api/v1/assessments/attempts/{student.attempt}/responses/{question_id}/"
        student.saves.append(
            _request(
                "PUT", path, host=host, token=student.token, body={"answer": answer, "seq": k + 1}
            )
        )
    for question_id, (_seq, answer) in student.sent.items():
        if answer in questions[question_id]["right"]:
            score += Decimal(questions[question_id]["points"])
    student.expected_score = score.quantize(Decimal("0.01"))


# --- Measuring ----------------------------------------------------------------------------------


def _percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class _Meter:
    """CPU of the server, of PostgreSQL's backends for the bench database, and of this process."""

    def __init__(self, server: subprocess.Popen, admin_url: str):
        import psycopg

        self.server = server
        self.admin = psycopg.connect(admin_url, autocommit=True)

    def _postgres(self) -> dict[int, float]:
        rows = self.admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [BENCH_DATABASE]
        ).fetchall()
        return _proc_cpu_seconds(pid for (pid,) in rows)

    def snapshot(self) -> dict:
        times = os.times()
        server_processes = _proc_cpu_seconds(_server_pids(self.server))
        return {
            "server": sum(server_processes.values()),
            "server_processes": server_processes,
            "postgres": self._postgres(),
            "client": times.user + times.system,
            "machine": _machine_cpu(),
            "wall": time.perf_counter(),
        }

    def since(self, before: dict) -> dict:
        after = self.snapshot()
        postgres = sum(
            cpu - before["postgres"].get(pid, 0.0) for pid, cpu in after["postgres"].items()
        )
        busy = after["machine"][0] - before["machine"][0]
        total = after["machine"][1] - before["machine"][1]
        server = after["server"] - before["server"]
        shares = sorted(
            (
                cpu - before["server_processes"].get(pid, 0.0)
                for pid, cpu in after["server_processes"].items()
            ),
            reverse=True,
        )
        return {
            "server": server,
            "server_processes": [round(100 * cpu / server, 1) if server else 0.0 for cpu in shares],
            "postgres": postgres if after["postgres"] else None,
            "client": after["client"] - before["client"],
            "machine_busy_pct": 100 * busy / max(total, 1),
            "wall": after["wall"] - before["wall"],
        }

    def close(self):
        self.admin.close()


def _summary(samples: list[_Sample], cpu: dict) -> dict:
    answered = [s for s in samples if s.status is not None]
    ok = [s for s in answered if 200 <= s.status < 300]
    errors = Counter(str(s.status) if s.status is not None else s.error for s in samples)
    for status in [key for key in errors if key.isdigit() and 200 <= int(key) < 300]:
        del errors[status]
    wall = max(s.done for s in samples) - min(s.sent for s in samples) if samples else 0.0
    latencies = [1000 * (s.done - s.sent) for s in answered] or [float("nan")]
    n = max(len(samples), 1)
    cores = os.cpu_count() or 1
    ours = cpu["server"] + (cpu["postgres"] or 0) + cpu["client"]
    return {
        "requests": len(samples),
        "ok_2xx": len(ok),
        "errors": sum(errors.values()),
        "errors_by_status": dict(sorted(errors.items())),
        "wall_seconds": round(wall, 3),
        "rps": round(len(answered) / wall, 1) if wall else None,
        "ok_per_s": round(len(ok) / wall, 1) if wall else None,
        "p50_ms": round(_percentile(latencies, 50), 1),
        "p90_ms": round(_percentile(latencies, 90), 1),
        "p99_ms": round(_percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "server_cpu_ms_per_request": round(1000 * cpu["server"] / n, 2),
        # How the server's CPU split between its processes (the busiest first): with one thread
        # pool per worker behind one GIL, a worker cannot use more than one core.
        "server_cpu_pct_by_process": cpu["server_processes"],
        "postgres_cpu_ms_per_request": (
            round(1000 * cpu["postgres"] / n, 2) if cpu["postgres"] is not None else None
        ),
        "load_generator_cpu_ms_per_request": round(1000 * cpu["client"] / n, 3),
        "load_generator_cpu_pct_of_one_core": round(100 * cpu["client"] / cpu["wall"], 1),
        "machine_cpu_busy_pct": round(cpu["machine_busy_pct"], 1),
        # The rest of the busy share is other work on the machine (other engineers' test runs).
        "bench_processes_cpu_pct_of_machine": round(100 * ours / (cpu["wall"] * cores), 1),
    }


# --- Phases -------------------------------------------------------------------------------------


async def _connect(students: list[_Student], port: int) -> dict:
    """Fresh connections for every student (old ones closed), then a pause for the server."""
    loop = asyncio.get_running_loop()
    for student in students:
        if student.conn is not None:
            student.conn.close()
    started = time.perf_counter()

    async def one(student: _Student) -> str:
        conn = _Connection(loop)
        student.conn = conn
        try:
            await loop.create_connection(lambda: conn, HOST, port)
        except OSError as error:
            return type(error).__name__
        return ""

    if CONNECT_PACE_MS:
        errors = []
        for student in students:
            errors.append(await one(student))
            await asyncio.sleep(CONNECT_PACE_MS / 1000)
    else:
        errors = await asyncio.gather(*(one(s) for s in students))
    failures = Counter(e for e in errors if e)
    seconds = time.perf_counter() - started
    await asyncio.sleep(SETTLE_SECONDS)
    return {"connections": len(students), "seconds": round(seconds, 3), "failed": dict(failures)}


async def _burst(students: list[_Student], requests: list[bytes]) -> list[_Sample]:
    """Every student sends its one request at the same moment."""
    return list(
        await asyncio.gather(*(_call(s.conn, r) for s, r in zip(students, requests, strict=True)))
    )


async def _closed_loop(students: list[_Student], requests: list[list[bytes]]) -> list[_Sample]:
    """Every student sends its requests one after another; all students at once."""

    async def one(student: _Student, mine: list[bytes]) -> list[_Sample]:
        return [await _call(student.conn, data) for data in mine]

    per_student = await asyncio.gather(
        *(one(s, r) for s, r in zip(students, requests, strict=True))
    )
    return [sample for samples in per_student for sample in samples]


@dataclass
class _Run:
    port: int
    meter: _Meter
    seeded: dict
    questions: dict[int, dict]
    order: dict[int, int]

    @property
    def host(self) -> str:
        return f"{HOST}:{self.port}"

    async def phase(self, students, kind: str, requests) -> tuple[dict, list[_Sample]]:
        connect = await _connect(students, self.port)
        before = self.meter.snapshot()
        if kind == "burst":
            samples = await _burst(students, requests)
        else:
            samples = await _closed_loop(students, requests)
        result = _summary(samples, self.meter.since(before))
        result["connect"] = connect
        return result, samples

    def start_requests(self, students) -> list[bytes]:
        path = f"/api/v1/assessments/{self.seeded['exam_id']}/attempts/"
        return [_request("POST", path, host=self.host, token=s.token) for s in students]

    def read_starts(self, students, samples) -> None:
        for student, sample in zip(students, samples, strict=True):
            if sample.status in (200, 201):
                attempt = json.loads(sample.body)
                student.attempt = attempt["id"]
                student.shown = [q["question"] for q in attempt["questions"]]
                _plan_saves(student, self.questions, self.order, self.host)

    def submit_requests(self, students) -> list[bytes]:
        return [
            _request(
                "POST",
                f"/api/v1/assessments/attempts/{s.attempt}/submit/",
                host=self.host,
                token=s.token,
            )
            for s in students
        ]

    def baseline_save_requests(self, students) -> list[list[bytes]]:
        count = len(self.questions)
        return [
            [
                _request(
                    "PUT",
                    f"/bench/exam-baseline/save/?attempt={s.baseline_attempt}&position={k % count}",
                    host=self.host,
                    body={"answer": {"choice": "c1"}, "seq": k + 1},
                )
                for k in range(SAVES)
            ]
            for s in students
        ]

    def baseline_submit_requests(self, students) -> list[bytes]:
        return [
            _request(
                "POST", f"/bench/exam-baseline/submit/?attempt={s.baseline_attempt}", host=self.host
            )
            for s in students
        ]


def _first_failure(samples: list[_Sample]) -> str:
    for sample in samples:
        if sample.status is None or not 200 <= sample.status < 300:
            return f"{sample.status or sample.error}: {sample.body[:500].decode(errors='replace')}"
    return ""


async def _warm_up(run: _Run, students: list[_Student]) -> dict:
    """The whole flow for a few students, baselines included; any failure stops the bench."""
    found = {}
    steps = [
        ("start", "burst", lambda: run.start_requests(students)),
        ("autosave", "loop", lambda: [s.saves for s in students]),
        ("baseline_autosave", "loop", lambda: run.baseline_save_requests(students)),
        ("baseline_submit", "burst", lambda: run.baseline_submit_requests(students)),
        ("submit", "burst", lambda: run.submit_requests(students)),
    ]
    for name, kind, requests in steps:
        result, samples = await run.phase(students, kind, requests())
        if result["errors"]:
            raise BenchError(f"warm-up {name} failed: {_first_failure(samples)}")
        if name == "start":
            run.read_starts(students, samples)
        found[name] = {"requests": result["requests"], "p50_ms": result["p50_ms"]}
    return found


async def _drive(run: _Run, warmup: list[_Student], students: list[_Student]) -> dict:
    phases = {"warmup": await _warm_up(run, warmup)}
    phases["start"], samples = await run.phase(students, "burst", run.start_requests(students))
    run.read_starts(students, samples)
    started = [s for s in students if s.attempt is not None]
    phases["autosave"], _ = await run.phase(started, "loop", [s.saves for s in started])
    phases["baseline_autosave"], _ = await run.phase(
        students, "loop", run.baseline_save_requests(students)
    )
    phases["baseline_submit_1"], _ = await run.phase(
        students, "burst", run.baseline_submit_requests(students)
    )
    phases["submit"], samples = await run.phase(started, "burst", run.submit_requests(started))
    phases["baseline_submit_2"], _ = await run.phase(
        students, "burst", run.baseline_submit_requests(students)
    )
    mismatched = 0
    for student, sample in zip(started, samples, strict=True):
        if sample.status == 200:
            score = json.loads(sample.body)["score"]
            mismatched += score is None or Decimal(score) != student.expected_score
    phases["submit"]["response_score_mismatches"] = mismatched
    for student in students + warmup:
        if student.conn is not None:
            student.conn.close()
    return phases


# --- Verification -------------------------------------------------------------------------------


def _verify(bench_database_url: str, exam_id: int, students: list[_Student]) -> dict:
    """What PostgreSQL holds against what the students sent (every student, warm-up included)."""
    import psycopg

    with psycopg.connect(bench_database_url) as conn:
        attempts = conn.execute(
            "SELECT id, student_id, status, score FROM assessments_attempt "
            "WHERE assessment_id = %s",
            [exam_id],
        ).fetchall()
        responses = conn.execute(
            "SELECT r.attempt_id, r.question_id, r.answer, r.answer_seq "
            "FROM assessments_response r JOIN assessments_attempt a ON a.id = r.attempt_id "
            "WHERE a.assessment_id = %s",
            [exam_id],
        ).fetchall()
    by_student = {s.id: s for s in students}
    stored: dict[int, dict[int, tuple]] = {}
    for attempt_id, question_id, answer, seq in responses:
        stored.setdefault(attempt_id, {})[question_id] = (seq, answer)
    per_student = Counter(student_id for _id, student_id, _s, _sc in attempts)
    found = Counter()
    for attempt_id, student_id, status, score in attempts:
        student = by_student.get(student_id)
        if student is None:
            continue  # the seed's profiled students
        found["attempts"] += 1
        found["not_submitted"] += status != "submitted"
        found["score_mismatches"] += score is None or score != student.expected_score
        held = stored.get(attempt_id, {})
        for question_id in student.shown:
            want = student.sent.get(question_id, (0, None))
            have = held.get(question_id, (None, None))
            found["answers_checked"] += question_id in student.sent
            found["answers_lost"] += have != want
    return {
        "students": len(students),
        "students_without_attempt": sum(1 for s in students if per_student[s.id] == 0),
        "students_with_several_attempts": sum(1 for s in students if per_student[s.id] > 1),
        "attempts": found["attempts"],
        "attempts_not_submitted": found["not_submitted"],
        "answers_checked": found["answers_checked"],
        "answers_lost": found["answers_lost"],
        "score_mismatches": found["score_mismatches"],
    }


# --- Setup --------------------------------------------------------------------------------------


def _raise_file_limit(students: int) -> dict:
    """One socket per student here, and as many in the server: lift the soft limit if needed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * students + 1024
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return {"soft": soft, "hard": hard}


def _versions(database_url: str, redis_url: str) -> dict:
    import django
    import psycopg
    import redis
    import rest_framework
    import uvicorn

    with psycopg.connect(database_url) as conn:
        postgres = conn.execute("SHOW server_version").fetchone()[0]
        max_connections = conn.execute("SHOW max_connections").fetchone()[0]
    return {
        "postgresql": postgres,
        "postgresql_max_connections": int(max_connections),
        "redis": redis.Redis.from_url(redis_url).info("server")["redis_version"],
        "python": platform.python_version(),
        "django": django.get_version(),
        "djangorestframework": rest_framework.__version__,
        "psycopg": psycopg.__version__,
        "uvicorn": uvicorn.__version__,
        "uvloop": uvloop.__version__,
        "httptools": httptools.__version__,
    }


def _figures(phases: dict, verified: dict, profile: dict, cores: int) -> dict:
    start, save, submit = phases["start"], phases["autosave"], phases["submit"]
    base_1, base_2 = phases["baseline_submit_1"], phases["baseline_submit_2"]
    base_save = phases["baseline_autosave"]
    errors = Counter()
    for phase in (start, save, submit):
        errors.update(phase["errors_by_status"])
    baseline_errors = Counter()
    for phase in (base_save, base_1, base_2):
        baseline_errors.update(phase["errors_by_status"])
    baseline_rate = statistics.mean([base_1["ok_per_s"] or 0, base_2["ok_per_s"] or 0])
    cpu_per_submit = (
        submit["server_cpu_ms_per_request"]
        + (submit["postgres_cpu_ms_per_request"] or 0)
        + submit["load_generator_cpu_ms_per_request"]
    )
    figures = {
        "submits_per_s": submit["ok_per_s"],
        "submit_p50_ms": submit["p50_ms"],
        "submit_p99_ms": submit["p99_ms"],
        "autosaves_per_s": save["ok_per_s"],
        "autosave_p50_ms": save["p50_ms"],
        "autosave_p99_ms": save["p99_ms"],
        "starts_per_s": start["ok_per_s"],
        "start_p50_ms": start["p50_ms"],
        "start_p99_ms": start["p99_ms"],
        "errors": sum(errors.values()),
        "errors_by_status": dict(sorted(errors.items())),
        "answers_lost": verified["answers_lost"],
        "attempts_not_submitted": verified["attempts_not_submitted"],
        "score_mismatches": verified["score_mismatches"],
        "submit_response_score_mismatches": submit["response_score_mismatches"],
        "baseline_submits_per_s": round(baseline_rate, 1),
        "baseline_p99_ms": round(statistics.mean([base_1["p99_ms"], base_2["p99_ms"]]), 1),
        "baseline_autosaves_per_s": base_save["ok_per_s"],
        "baseline_autosave_p99_ms": base_save["p99_ms"],
        "baseline_errors": sum(baseline_errors.values()),
        "submit_throughput_vs_baseline": (
            round(submit["ok_per_s"] / baseline_rate, 2) if baseline_rate else None
        ),
        "submit_sql_queries": profile["submit"]["sql_queries"],
        "autosave_sql_queries": profile["autosave"]["sql_queries"],
        "start_sql_queries": profile["start"]["sql_queries"],
        "baseline_submit_sql_queries": profile["baseline_submit"]["sql_queries"],
        "baseline_autosave_sql_queries": profile["baseline_autosave"]["sql_queries"],
        "server_cpu_ms_per_submit": submit["server_cpu_ms_per_request"],
        "server_cpu_ms_per_autosave": save["server_cpu_ms_per_request"],
        "server_cpu_ms_per_start": start["server_cpu_ms_per_request"],
        "baseline_server_cpu_ms_per_submit": round(
            statistics.mean(
                [base_1["server_cpu_ms_per_request"], base_2["server_cpu_ms_per_request"]]
            ),
            2,
        ),
        "baseline_server_cpu_ms_per_autosave": base_save["server_cpu_ms_per_request"],
        "postgres_cpu_ms_per_submit": submit["postgres_cpu_ms_per_request"],
        "postgres_cpu_ms_per_autosave": save["postgres_cpu_ms_per_request"],
        # What the cores could do if the server, PostgreSQL and the load generator had them all.
        "cpu_bound_submits_per_s_ceiling": (
            round(1000 * cores / cpu_per_submit, 1) if cpu_per_submit else None
        ),
        "load_generator_cpu_pct_of_one_core_max": max(
            phases[name]["load_generator_cpu_pct_of_one_core"]
            for name in ("start", "autosave", "submit", "baseline_autosave")
        ),
    }
    checks = {
        f"submits_per_s >= {GOAL['submits_per_s']}": (submit["ok_per_s"] or 0)
        >= GOAL["submits_per_s"],
        f"submit_p99_ms < {GOAL['submit_p99_ms']}": submit["p99_ms"] < GOAL["submit_p99_ms"],
        "errors == 0": figures["errors"] == 0,
        "answers_lost == 0 and scores right": (
            verified["answers_lost"] == 0
            and verified["score_mismatches"] == 0
            and verified["attempts_not_submitted"] == 0
            and submit["response_score_mismatches"] == 0
        ),
    }
    figures["goal"] = {"checks": checks, "met": all(checks.values())}
    return figures


def _options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.exam_rush")
    parser.add_argument("--students", type=int, default=STUDENTS, help="BENCH_EXAM_STUDENTS")
    parser.add_argument("--workers", type=int, default=WORKERS, help="BENCH_EXAM_WORKERS")
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> dict:
    """The exam rush; `argv` takes `--students N --workers W` (defaults from the environment)."""
    options = _options(argv or [])
    students, workers = options.students, options.workers
    database_url, redis_url = _require_services("exam_rush", BENCH_DATABASE)
    limits = _raise_file_limit(students + WARMUP_STUDENTS)
    started = time.perf_counter()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    with tempfile.TemporaryDirectory(prefix="bench-exam-") as tmp:
        log_path = Path(tmp) / "uvicorn.log"
        with _bench_database(database_url, BENCH_DATABASE) as bench_database_url:
            env = _bench_environment(bench_database_url, redis_url, "pathwise-bench-exam")
            seeded = _seed(env, "bench._exam_seed", "--students", str(students + WARMUP_STUDENTS))
            seed_seconds = time.perf_counter() - started
            everyone = [
                _Student(i, s["id"], s["token"], s["baseline_attempt"])
                for i, s in enumerate(seeded["students"])
            ]
            warmup, load = everyone[:WARMUP_STUDENTS], everyone[WARMUP_STUDENTS:]
            with _server(env, log_path, workers=workers, server="uvicorn", backlog=BACKLOG) as (
                process,
                base,
            ):
                _wait_until_up(process, f"{base}/bench/baseline/?user=0", "", log_path)
                port = urlsplit(base).port
                meter = _Meter(process, database_url)
                try:
                    questions = {q["id"]: q for q in seeded["questions"]}
                    order = {q["id"]: i for i, q in enumerate(seeded["questions"])}
                    driver = _Run(port, meter, seeded, questions, order)
                    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                        phases = runner.run(_drive(driver, warmup, load))
                finally:
                    meter.close()
            verified = _verify(bench_database_url, seeded["exam_id"], everyone)
        server_log = log_path.read_text().strip()
    cores = os.cpu_count() or 1
    results = _figures(phases, verified, seeded["profile"], cores)
    results["verification"] = verified
    results["phases"] = phases
    results["profile"] = seeded["profile"]
    results["setup"] = {
        "server": (
            f"uvicorn lms.asgi:application --workers {workers} --backlog {BACKLOG} (uvloop, "
            "httptools; HTTP through Django's WSGI handler via a2wsgi, lms/asgi.py), settings "
            "bench._settings = lms.settings.base with DEBUG off, plain HTTP"
        ),
        "server_workers": workers,
        "web_threads_per_worker": int(os.environ.get("WEB_THREADS", "8")),
        "database_pool_per_worker": (
            f"min {os.environ.get('DATABASE_POOL_MIN_SIZE', '2')}, "
            f"max {os.environ.get('DATABASE_POOL_MAX_SIZE', '20')}"
        ),
        "students": students,
        "warmup_students": WARMUP_STUDENTS,
        "questions": len(seeded["questions"]),
        "question_kinds": dict(Counter(q["kind"] for q in seeded["questions"])),
        "autosaves_per_student": SAVES,
        "exam": (
            f"assessment {seeded['exam_id']}: fixed list, questions and choices shuffled, 90 "
            "minutes, review policy 'immediately' (the submit answers with the full review)"
        ),
        "load_generator": (
            "this process: asyncio on uvloop, one keep-alive HTTP/1.1 connection per student "
            "(httptools parser), fresh connections before each phase, requests built beforehand; "
            "bursts send every student's request at once, autosaves are a closed loop per student"
        ),
        "request_timeout_seconds": REQUEST_TIMEOUT,
        "connect_pace_ms": CONNECT_PACE_MS,
        "file_limit": limits,
        "machine_cores": cores,
        "cpu_affinity": len(os.sched_getaffinity(0)),
        "load_average_before": " ".join(load_before),
        "load_average_after": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "machine": platform.platform(),
        "database": (
            f"PostgreSQL, throw-away database {BENCH_DATABASE} on the DATABASE_URL server, "
            "psycopg pool"
        ),
        "cache": "Redis: cache (throttle counters, cached_db sessions), channel layer",
        "versions": _versions(database_url, redis_url),
        "seed_seconds": round(seed_seconds, 1),
        "server_log": server_log[-2000:],
        "notes": (
            "latency from the request's first byte written to the response's last byte read; "
            "throughput = 2xx responses / (last response - first request) of the phase; "
            "server_cpu = uvicorn supervisor and workers, postgres_cpu = the backends connected "
            "to the bench database, load_generator_cpu = this process, all from /proc; "
            "machine_cpu_busy_pct is all cores, all processes, and "
            "bench_processes_cpu_pct_of_machine the share of all cores the server, its PostgreSQL "
            "backends and the load generator used (the difference is other work on the machine); "
            "baseline_submits_per_s and baseline_p99_ms are the means of the bursts "
            "before and after the submit burst"
        ),
    }
    return results


if __name__ == "__main__":
    # `python -m bench.exam_rush --students N` is `python -m bench exam_rush --students N`.
    sys.exit(bench_main(["exam_rush", *sys.argv[1:]]))
