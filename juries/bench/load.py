"""Load: the pages served by gunicorn on loopback, driven by wrk, and wrk's output parsed."""

import http.client
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .measure import UNLIMITED

TRIVIAL_PATH = "/bench/trivial"  # served by juries/bench/urls.py
SETTINGS_MODULE = "cqp.settings_bench"  # the project's settings, plus the trivial view
DEFAULT_DURATION = 10
DEFAULT_CONNECTIONS = 16
WRK_THREADS = 2
# Sync workers, one per core: this machine has two, a page is CPU-bound Python (queries
# answered quickly, then rendering) and PostgreSQL and wrk run on the same cores; more
# processes would only take turns on them.
DEFAULT_WORKERS = 2
READY_TIMEOUT = 60  # seconds for gunicorn to answer its first request
WRK_TIMEOUT = "10s"  # a request slower than this counts as a socket error (timeout)


class LoadError(Exception):
    """gunicorn or wrk did not run as expected."""


@dataclass
class WrkResult:
    requests: int
    requests_per_second: float
    latency_p50_ms: float
    latency_p99_ms: float
    non_2xx_3xx: int
    socket_errors: int  # connect, read, write and timeout errors

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + self.socket_errors


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_LATENCY = r"^\s*{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$"


def parse_wrk(output: str) -> WrkResult:
    """The figures of `wrk --latency`'s report (LoadError if it is not one)."""

    def latency_ms(percent: int) -> float:
        match = re.search(_LATENCY.format(percent=percent), output, re.M)
        if match is None:
            raise LoadError(f"no {percent}% latency in wrk's output:\n{output}")
        return float(match[1]) * _UNITS_MS[match[2]]

    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    requests = re.search(r"^\s*(\d+) requests in ", output, re.M)
    if rps is None or requests is None:
        raise LoadError(f"not a wrk report:\n{output}")
    non_2xx = re.search(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", output, re.M)
    sockets = re.search(
        r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output, re.M
    )
    return WrkResult(
        requests=int(requests[1]),
        requests_per_second=float(rps[1]),
        latency_p50_ms=latency_ms(50),
        latency_p99_ms=latency_ms(99),
        non_2xx_3xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def run_wrk(url: str, cookie: str, *, duration: int, connections: int) -> WrkResult:
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{duration}s", "--latency"]
    command += ["--timeout", WRK_TIMEOUT]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LoadError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def get_status(base_url: str, path: str, cookie: str) -> int:
    """One request through the server, redirects not followed: the page's status."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def server_env(secret_key: str, static_root: Path) -> dict[str, str]:
    """The environment of a production process (DEBUG off), on this process's database."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        # Plain HTTP on loopback, where production has a TLS terminator in front.
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_LOG_LEVEL="WARNING",
        CELERY_BROKER_URL="",
        VERIFY_RATE_LIMIT=str(UNLIMITED),
    )
    return env


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn_server(*, secret_key: str, workers: int = DEFAULT_WORKERS) -> Iterator[str]:
    """gunicorn serving the project (and the trivial view) on loopback: yields its base URL.

    Static files are collected first into a temporary folder, as a deployment does: with DEBUG
    off the pages name the hashed files of the collected manifest.
    """
    with tempfile.TemporaryDirectory(prefix="cqp-bench-pages-") as folder:
        static_root = Path(folder) / "static"
        env = server_env(secret_key, static_root)
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        collected = subprocess.run(
            [*manage, "collectstatic", "--noinput", "-v0"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if collected.returncode != 0:
            raise LoadError(f"collectstatic failed: {collected.stderr}")
        port = _free_port()
        log_path = Path(folder) / "gunicorn.log"
        with log_path.open("w") as log:
            server = subprocess.Popen(
                [
                    *[sys.executable, "-m", "gunicorn", "cqp.wsgi"],
                    *["--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
                    *["--worker-class", "sync", "--chdir", str(settings.BASE_DIR)],
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_ready(server, base_url, log_path)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_ready(server: subprocess.Popen, base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise LoadError(f"gunicorn exited ({server.returncode}):\n{_tail(log_path)}")
        try:
            if get_status(base_url, TRIVIAL_PATH, "") == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    raise LoadError(f"gunicorn did not answer within {READY_TIMEOUT} s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wrk_available() -> bool:
    return shutil.which("wrk") is not None
