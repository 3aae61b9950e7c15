"""
Throughput and latency of the student pages on the production-like setup.

A signed-in student's catalog (`/courses/`), course page and lesson page, and a baseline (a bare
view doing one one-row query, bench/_views.py), all served by the same uvicorn server
(`--workers 2`, DEBUG off, PostgreSQL, Redis) and loaded in turn by `wrk` on the same machine.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL. The developer's database is never touched: the
bench drops and creates the database `pathwise_bench` on the same server, migrates it, fills it
through the project's services (bench/_seed.py) and drops it at the end.

Knobs (environment): BENCH_PAGES_SECONDS (10 per page), BENCH_PAGES_CONNECTIONS (32),
BENCH_PAGES_WORKERS (server workers, 2), BENCH_PAGES_SERVER (uvicorn, or gunicorn for WSGI).
"""

import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "pathwise_bench"
HOST = "127.0.0.1"
SECONDS = int(os.environ.get("BENCH_PAGES_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_PAGES_CONNECTIONS", "32"))
WORKERS = int(os.environ.get("BENCH_PAGES_WORKERS", "2"))
# "uvicorn" (ASGI, as `make run` serves) or "gunicorn" (WSGI, sync workers) for comparison.
SERVER = os.environ.get("BENCH_PAGES_SERVER", "uvicorn")
WARMUP_SECONDS = 2
WRK_THREADS = 1
WRK_TIMEOUT = "10s"  # a slow response is measured, not dropped as a socket timeout
PAGES = ["baseline", "catalog", "course_page", "lesson_page"]
# What each page must contain: a 200 that is not the page (an error page) fails the check.
MARKERS = {
    "baseline": "ok",
    "catalog": "MATH-101",
    "course_page": "outline-lesson",
    "lesson_page": "block-text",
}

# Counts each response's status in wrk (one Lua state per thread, summed in done()).
STATUS_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; other = 0; last_other = 0 end
function response(status, headers, body)
  if status == 200 then ok = ok + 1 else other = other + 1; last_other = status end
end
function done(summary, latency, requests)
  local o, n, s = 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok"); n = n + t:get("other")
    if t:get("last_other") ~= 0 then s = t:get("last_other") end
  end
  io.write(string.format("BENCH_STATUS ok=%d other=%d last_other=%d\\n", o, n, s))
end
"""


class BenchError(Exception):
    pass


# --- Environment ------------------------------------------------------------------------------


def _require_services(bench: str = "pages", database: str = BENCH_DATABASE) -> tuple[str, str]:
    """DATABASE_URL and REDIS_URL, refused unless they name PostgreSQL and Redis."""
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://", "pgsql://")) or not redis_url:
        raise SystemExit(
            f"bench {bench} measures the production-like setup and needs PostgreSQL and Redis: "
            "set DATABASE_URL=postgres://user@host:5432/db and REDIS_URL=redis://host:6379/N "
            f"(the bench creates and drops its own database `{database}` on that server; "
            "prefer a Redis database no test run uses, e.g. /5)."
        )
    if urlsplit(database_url).path.strip("/") == database:
        raise SystemExit(f"DATABASE_URL must not name {database}: the bench drops it.")
    return database_url, redis_url


def _require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True)
        wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit(
            "bench pages needs the load generator wrk: install Debian's package "
            "(`apt-get install wrk`) and run it again."
        )
    return wrk


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _admin_execute(database_url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


@contextmanager
def _bench_database(database_url: str, name: str = BENCH_DATABASE):
    """A fresh, empty database beside the developer's; dropped afterwards."""
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    _admin_execute(database_url, drop, f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(database_url, name)
    finally:
        _admin_execute(database_url, drop)


def _bench_environment(
    bench_database_url: str, redis_url: str, prefix: str = "pathwise-bench"
) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench._settings",
        "DATABASE_URL": bench_database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "CACHE_KEY_PREFIX": prefix,
        "CHANNEL_LAYER_PREFIX": f"{prefix}:asgi",
        "PYTHONUNBUFFERED": "1",
    }


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"{what} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def _seed(env: dict[str, str], module: str = "bench._seed", *args: str) -> dict:
    """Migrate the bench database, run the seed `module` and return what it printed."""
    _run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env, "migrate")
    out = _run([sys.executable, "-m", module, *args], env, f"seeding the bench data ({module})")
    line = next(line for line in out.splitlines() if line.startswith("BENCH_SEED "))
    return json.loads(line.removeprefix("BENCH_SEED "))


# --- Server -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _get(url: str, cookie: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


@contextmanager
def _server(
    env: dict[str, str],
    log_path: Path,
    *,
    workers: int = WORKERS,
    server: str = SERVER,
    backlog: int | None = None,
):
    """The server in its own process group; yields (process, base URL) and stops it after."""
    port = _free_port()
    if server == "gunicorn":
        args = [
            sys.executable, "-m", "gunicorn", "lms.wsgi:application",
            "--workers", str(workers), "--bind", f"{HOST}:{port}", "--log-level", "warning",
        ]  # fmt: skip
    else:
        args = [
            sys.executable, "-m", "uvicorn", "lms.asgi:application",
            "--workers", str(workers), "--host", HOST, "--port", str(port),
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
    if backlog is not None:
        args += ["--backlog", str(backlog)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process, f"http://{HOST}:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_until_up(process: subprocess.Popen, url: str, cookie: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"uvicorn exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if _get(url, cookie)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise BenchError(f"uvicorn did not answer within 60 s:\n{log_path.read_text()}")


def _server_pids(process: subprocess.Popen) -> list[int]:
    """The server's supervisor and its workers (Linux /proc); none once it has exited."""
    pid = process.pid
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [pid, *map(int, children)]


def _proc_cpu_seconds(pids) -> dict[int, float]:
    """User + system CPU seconds of each process still running (Linux /proc)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return found


def _server_cpu_seconds(process: subprocess.Popen) -> float:
    """CPU seconds of the server's supervisor and its workers."""
    pids = _server_pids(process)
    return sum(_proc_cpu_seconds(pids).values()) if pids else float("nan")


def _machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


# --- Load -------------------------------------------------------------------------------------

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise BenchError(f"unexpected wrk latency {text!r}")
    return float(match[1]) * _UNIT_MS[match[2]]


def _parse_wrk(out: str) -> dict:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in ([\d.]+\w+)", out)
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    status = re.search(r"BENCH_STATUS ok=(\d+) other=(\d+) last_other=(\d+)", out)
    if not (rps and total and status and "50" in percentiles and "99" in percentiles):
        raise BenchError(f"could not read wrk's output:\n{out}")
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = sum(map(int, socket_errors.groups())) if socket_errors else 0
    non_200 = int(status[2])
    result = {
        "rps": round(float(rps[1]), 1),
        "p50_ms": round(_to_ms(percentiles["50"]), 2),
        "p90_ms": round(_to_ms(percentiles["90"]), 2),
        "p99_ms": round(_to_ms(percentiles["99"]), 2),
        "requests": int(total[1]),
        "ok_200": int(status[1]),
        "non_200": non_200,
        "socket_errors": errors,
        "valid": non_200 == 0 and errors == 0 and int(status[1]) > 0,
    }
    if not result["valid"]:
        result["failure"] = (
            f"{non_200} responses were not 200 (last {status[3]}), {errors} socket errors: "
            "the figures are not a measurement of the page"
        )
    return result


def _wrk(wrk: str, script: Path, url: str, cookie: str, *, seconds: int, connections: int):
    args = [
        wrk, f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency",
        "--timeout", WRK_TIMEOUT, "-s", str(script), "-H", f"Cookie: {cookie}", url,
    ]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr}")
    return _parse_wrk(done.stdout)


def _measure(wrk: str, process, base: str, seeded: dict, workdir: Path) -> dict:
    cookie = "; ".join(f"{name}={value}" for name, value in seeded["cookies"].items())
    script = workdir / "status.lua"
    script.write_text(STATUS_SCRIPT)
    results = {}
    for page in PAGES:
        url = base + seeded["urls"][page]
        status, body = _get(url, cookie)
        if status != 200 or MARKERS[page] not in body:
            raise BenchError(f"{url} answered {status} without {MARKERS[page]!r}: not the page")
        _wrk(wrk, script, url, cookie, seconds=WARMUP_SECONDS, connections=4)
        cpu_before, machine_before = _server_cpu_seconds(process), _machine_cpu()
        result = _wrk(wrk, script, url, cookie, seconds=SECONDS, connections=CONNECTIONS)
        cpu = _server_cpu_seconds(process) - cpu_before
        machine_after = _machine_cpu()
        busy = machine_after[0] - machine_before[0]
        total = machine_after[1] - machine_before[1]
        result["server_cpu_ms_per_request"] = round(1000 * cpu / max(result["requests"], 1), 2)
        # All cores, all processes (server, PostgreSQL, wrk, and whatever else runs).
        result["machine_cpu_busy_pct"] = round(100 * busy / max(total, 1), 1)
        result |= seeded["profile"][page]
        results[page] = result
    return results


# --- Setup description ------------------------------------------------------------------------


def _versions(database_url: str, redis_url: str, wrk: str) -> dict:
    import django
    import psycopg
    import redis
    import uvicorn

    with psycopg.connect(database_url) as conn:
        postgres = conn.execute("SHOW server_version").fetchone()[0]
    redis_version = redis.Redis.from_url(redis_url).info("server")["redis_version"]
    wrk_version = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout
    return {
        "postgresql": postgres,
        "redis": redis_version,
        "python": platform.python_version(),
        "django": django.get_version(),
        "uvicorn": uvicorn.__version__,
        "wrk": wrk_version.split()[1] if wrk_version else "?",
    }


def run() -> dict:
    database_url, redis_url = _require_services()
    wrk = _require_wrk()
    started = time.perf_counter()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        workdir = Path(tmp)
        with _bench_database(database_url) as bench_database_url:
            env = _bench_environment(bench_database_url, redis_url)
            seeded = _seed(env)
            seed_seconds = time.perf_counter() - started
            log_path = workdir / "uvicorn.log"
            with _server(env, log_path) as (process, base):
                cookie = "; ".join(f"{k}={v}" for k, v in seeded["cookies"].items())
                _wait_until_up(process, base + seeded["urls"]["baseline"], cookie, log_path)
                results = _measure(wrk, process, base, seeded, workdir)
            server_log = log_path.read_text().strip()
    cores = os.cpu_count()
    results["setup"] = {
        "server": (
            f"gunicorn lms.wsgi:application --workers {WORKERS} (sync workers), "
            if SERVER == "gunicorn"
            else f"uvicorn lms.asgi:application --workers {WORKERS} (uvloop, httptools; HTTP "
            "through Django's WSGI handler via a2wsgi, lms/asgi.py), "
        )
        + "settings bench._settings = lms.settings.base with DEBUG off, plain HTTP",
        "server_workers": WORKERS,
        "load_generator": (
            f"wrk -t{WRK_THREADS} -c{CONNECTIONS} -d{SECONDS}s --latency (closed loop), "
            "same machine, Lua status counter"
        ),
        "connections": CONNECTIONS,
        "duration_seconds_per_page": SECONDS,
        "warmup_seconds_per_page": WARMUP_SECONDS,
        "machine_cores": cores,
        "cpu_affinity": len(os.sched_getaffinity(0)),
        "load_average_before": " ".join(load_before),
        "machine": platform.platform(),
        "database": (
            f"PostgreSQL, throw-away database {BENCH_DATABASE} on the DATABASE_URL server, "
            "psycopg pool (min 2, max 20 per worker)"
        ),
        "cache": "Redis (django RedisCache): sessions (cached_db) and the cached course outline",
        "data": (
            f"1 school, 2 teachers, 200 students; course {seeded['course_id']}: 6 modules x 5 "
            f"lessons x 3 Markdown+LaTeX text blocks; {seeded['published_courses']} published "
            "courses in the catalog; the student has finished module 1"
        ),
        "student_id": seeded["student_id"],
        "urls": seeded["urls"],
        "versions": _versions(database_url, redis_url, wrk),
        "seed_seconds": round(seed_seconds, 1),
        "server_log": server_log[-2000:],
        "notes": (
            "rps/p50/p99 from wrk; sql_queries, test_client_median_ms and html_bytes from "
            "Django's test client in one process (no server); server_cpu_ms_per_request is the "
            "uvicorn processes' CPU time over the run divided by requests; machine_cpu_busy_pct is "
            "all cores, all processes, during the run (other work on the machine shows there)"
        ),
    }
    return results
