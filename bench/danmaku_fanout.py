"""
Danmaku fan-out of a live lecture on the production-like setup: V viewers (1,000) in one lecture,
R comments a second (20) from R * 4 distinct enrolled students (the server lets a user send one
comment every 3 s), for S seconds (15).

The server is uvicorn `lms.asgi:application --ws websockets-sansio --workers P` (DEBUG off,
PostgreSQL, Redis; settings bench._settings): every comment goes through LectureConsumer (a
transaction numbering it, then one Redis PUBLISH on commit) and every server process's
subscription writes it to its local sockets (livestream/fanout.py). The baseline, measured in the
same run on the same uvicorn, is a bare ASGI app (bench/_danmaku_baseline.py, one worker) that
writes each sent frame to every connected socket in-process.

The load generator is C client processes (2) of bench/_danmaku_client.py, each an asyncio loop
on uvloop holding a share of the sockets (raw protocols, minimal frame parsing), signed in with
sessions seeded through Django's session store (bench/_danmaku_seed.py). Senders are viewers too.
A comment's text carries its send time (CLOCK_MONOTONIC, shared by the machine's processes);
each viewer's latency is its receipt time - send time. `lost` is, over the comments the server
acked, (viewers connected) - (receipts): 0 when every viewer got every comment.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL; the bench creates and drops `pathwise_bench_danmaku`.
`python -m bench danmaku_fanout --viewers 1000 --rate 20 --seconds 15 --processes 2 --clients 2`.
"""

import argparse
import json
import math
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from bench.__main__ import main as bench_main
from bench.exam_rush import _raise_file_limit
from bench.pages import (
    HOST,
    ROOT,
    BenchError,
    _bench_database,
    _bench_environment,
    _free_port,
    _get,
    _machine_cpu,
    _proc_cpu_seconds,
    _require_services,
    _seed,
    _server_pids,
)

BENCH_DATABASE = "pathwise_bench_danmaku"
BACKLOG = 4096
GOAL = {"deliveries_per_s": 20_000, "p99_ms": 250}
READY_TIMEOUT = 300.0


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@contextmanager
def _uvicorn(env: dict, log_path: Path, app: str, workers: int):
    port = _free_port()
    args = [
        sys.executable, "-m", "uvicorn", app, "--ws", "websockets-sansio",
        "--workers", str(workers), "--host", HOST, "--port", str(port),
        "--backlog", str(BACKLOG), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process, port
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_up(process, url: str, log_path: Path, workers: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"uvicorn exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            # One worker runs in the supervisor's process; several are its children.
            wanted = 1 + workers if workers > 1 else 1
            if _get(url, "")[0] == 200 and len(_server_pids(process)) >= wanted:
                time.sleep(1.0)  # every worker importing and listening
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise BenchError(f"uvicorn did not answer within 90 s:\n{log_path.read_text()}")


def _phase(port: int, path: str, cookies: list, options, server, nonce: str) -> dict:
    """Connect the clients' sockets, run the sending schedule, gather what they measured."""
    clients = options.clients
    senders = min(options.senders, len(cookies))
    configs = []
    for c in range(clients):
        mine = list(range(c, len(cookies), clients))
        configs.append(
            {
                "port": port,
                "path": path,
                "origin": f"http://{HOST}:{port}",
                "cookies": [cookies[i] for i in mine],
                "senders": {str(local): i for local, i in enumerate(mine) if i < senders},
                "senders_total": senders,
                "rate": options.rate,
                "seconds": options.seconds,
                "drain": options.drain,
                "nonce": nonce,
            }
        )
    procs = []
    for config in configs:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench._danmaku_client"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        proc.stdin.write(json.dumps(config) + "\n")
        proc.stdin.flush()
        procs.append(proc)
    try:
        ready = []
        for proc in procs:
            line = proc.stdout.readline()
            if not line.startswith("READY "):
                raise BenchError(f"a client failed to connect: {line!r}")
            ready.append(json.loads(line.removeprefix("READY ")))
        pids = _server_pids(server)
        cpu_before = _proc_cpu_seconds(pids)
        machine_before = _machine_cpu()
        t0 = time.monotonic() + 0.5
        for proc in procs:
            proc.stdin.write(f"GO {t0}\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            line = proc.stdout.readline()
            if not line.startswith("RESULT "):
                raise BenchError(f"a client failed: {line[:500]!r}")
            results.append(json.loads(line.removeprefix("RESULT ")))
        cpu_after = _proc_cpu_seconds(pids)
        machine_after = _machine_cpu()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.stdin.close()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    wall = options.seconds + options.drain
    acked: dict[int, int] = {}
    for r in results:
        acked.update({int(k): v for k, v in r["acked"].items()})
    sent = sorted(k for r in results for k in r["sent"])
    total = int(options.rate * options.seconds)
    received = [sum(r["received"][k] for r in results) for k in range(total)]
    viewers = sum(r["viewers_at_start"] for r in results)
    latencies = [1000 * x for r in results for x in r["latencies"]]
    ack_latencies = [1000 * x for r in results for x in r["ack_latencies"]]
    delivered = sum(received[k] for k in acked)
    expected = viewers * len(acked)
    last = max((r["last_receipt"] for r in results if r["last_receipt"]), default=t0)
    span = max(last - t0, 1e-9)
    errors: dict[str, int] = {}
    for r in results:
        for code, n in r["errors"].items():
            errors[code] = errors.get(code, 0) + n
    server_cpu = {pid: cpu_after.get(pid, 0.0) - cpu_before.get(pid, 0.0) for pid in cpu_after}
    busy = machine_after[0] - machine_before[0]
    all_jiffies = machine_after[1] - machine_before[1]
    client_cpu = sum(r["cpu_seconds"] for r in results)
    return {
        "viewers_connected": viewers,
        "connect": ready,
        "messages_scheduled": total,
        "messages_sent": len(sent),
        "messages_acked": len(acked),
        "send_errors": errors,
        "deliveries": delivered,
        "deliveries_per_s": round(delivered / span, 1),
        "expected_deliveries": expected,
        "lost": expected - delivered,
        "deliveries_of_unacked_messages": sum(received[k] for k in range(total) if k not in acked),
        "viewers_dropped": sum(r["dropped"] for r in results),
        "viewers_at_end": sum(r["viewers_at_end"] for r in results),
        "close_codes": sorted({c for r in results for c in r["closes"]}),
        "out_of_order": sum(r["out_of_order"] for r in results),
        "p50_ms": round(_percentile(latencies, 50), 1),
        "p95_ms": round(_percentile(latencies, 95), 1),
        "p99_ms": round(_percentile(latencies, 99), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
        "ack_p50_ms": round(_percentile(ack_latencies, 50), 1),
        "ack_p99_ms": round(_percentile(ack_latencies, 99), 1),
        "receipt_span_seconds": round(span, 2),
        "server_cpu_pct_of_one_core": round(100 * sum(server_cpu.values()) / wall, 1),
        "server_cpu_pct_by_process": sorted(
            (round(100 * v / wall, 1) for v in server_cpu.values()), reverse=True
        ),
        "load_generator_cpu_pct_of_one_core": round(100 * client_cpu / wall, 1),
        "machine_cpu_busy_pct": round(100 * busy / max(all_jiffies, 1), 1),
    }


def _options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.danmaku_fanout")
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="comments per second")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--processes", type=int, default=2, help="uvicorn workers (ours)")
    parser.add_argument("--clients", type=int, default=2, help="load generator processes")
    parser.add_argument("--senders", type=int, default=0, help="distinct senders (rate * 4)")
    parser.add_argument("--drain", type=float, default=3.0, help="seconds after the last send")
    parser.add_argument("--skip-baseline", action="store_true")
    options = parser.parse_args(argv)
    options.senders = options.senders or max(1, math.ceil(options.rate * 4))
    if options.senders > options.viewers:
        parser.error("need at least as many viewers as senders (senders are viewers too)")
    return options


def _lean(phase: dict) -> dict:
    return {
        k: phase[k]
        for k in ("deliveries_per_s", "p50_ms", "p95_ms", "p99_ms", "max_ms", "lost")
        if k in phase
    }


def run(argv: list[str] | None = None) -> dict:
    options = _options(argv or [])
    database_url, redis_url = _require_services("danmaku_fanout", BENCH_DATABASE)
    limits = _raise_file_limit(options.viewers)
    started = time.perf_counter()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    nonce = secrets.token_hex(4)
    with tempfile.TemporaryDirectory(prefix="bench-danmaku-") as tmp:
        log_path = Path(tmp) / "uvicorn.log"
        with _bench_database(database_url, BENCH_DATABASE) as bench_database_url:
            env = _bench_environment(bench_database_url, redis_url, f"pathwise-bench-dm-{nonce}")
            env["LIVESTREAM_CHANNEL_PREFIX"] = f"pathwise-bench-dm-{nonce}:live"
            seeded = _seed(env, "bench._danmaku_seed", "--students", str(options.viewers))
            seed_seconds = time.perf_counter() - started
            cookies = [f"{seeded['cookie_name']}={key}" for key in seeded["sessions"]]
            baseline = None
            if not options.skip_baseline:
                with _uvicorn(env, log_path, "bench._danmaku_baseline:app", 1) as (server, port):
                    _wait_up(server, f"http://{HOST}:{port}/", log_path, 1)
                    baseline = _phase(port, "/", [None] * options.viewers, options, server, nonce)
            with _uvicorn(env, log_path, "lms.asgi:application", options.processes) as (
                server,
                port,
            ):
                _wait_up(
                    server,
                    f"http://{HOST}:{port}/bench/baseline/?user=0",
                    log_path,
                    options.processes,
                )
                path = f"/ws/lectures/{seeded['lecture_id']}/"
                ours = _phase(port, path, cookies, options, server, nonce)
        server_log = log_path.read_text().strip()
    checks = {
        f"deliveries_per_s >= {GOAL['deliveries_per_s']}": ours["deliveries_per_s"]
        >= GOAL["deliveries_per_s"],
        f"p99_ms < {GOAL['p99_ms']}": ours["p99_ms"] < GOAL["p99_ms"],
        "lost == 0": ours["lost"] == 0 and ours["messages_acked"] > 0,
    }
    results = {
        **_lean(ours),
        "baseline_deliveries_per_s": baseline["deliveries_per_s"] if baseline else None,
        "baseline_p50_ms": baseline["p50_ms"] if baseline else None,
        "baseline_p95_ms": baseline["p95_ms"] if baseline else None,
        "baseline_p99_ms": baseline["p99_ms"] if baseline else None,
        "baseline_lost": baseline["lost"] if baseline else None,
        "goal": {"checks": checks, "met": all(checks.values())},
        "ours": ours,
        "baseline": baseline,
        "setup": {
            "viewers": options.viewers,
            "rate": options.rate,
            "seconds": options.seconds,
            "senders": options.senders,
            "server": (
                f"uvicorn lms.asgi:application --ws websockets-sansio --workers "
                f"{options.processes} --backlog {BACKLOG}; settings bench._settings (DEBUG off, "
                "PostgreSQL, Redis)"
            ),
            "baseline_server": (
                "uvicorn bench._danmaku_baseline:app --ws websockets-sansio --workers 1 "
                "(bare ASGI broadcast, in-process)"
            ),
            "load_generator_processes": options.clients,
            "drain_seconds": options.drain,
            "file_limit": limits,
            "machine_cores": os.cpu_count(),
            "load_average_before": " ".join(load_before),
            "load_average_after": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
            "python": platform.python_version(),
            "seed_seconds": round(seed_seconds, 1),
            "server_log": server_log[-2000:],
        },
    }
    return results


if __name__ == "__main__":
    sys.exit(bench_main(["danmaku_fanout", *sys.argv[1:]]))
