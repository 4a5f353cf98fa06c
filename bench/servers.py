"""Servers a benchmark starts for itself: a free port, and proof that what answers there is ours.

A port that was free a moment ago may be taken by somebody else's server before ours binds it;
a benchmark that then accepts any answer measures the wrong program. `serve` therefore waits
until the listening socket on the port belongs to the process it started (or one of its
children, gunicorn's workers), read from /proc, and fails otherwise.
"""
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(inode)
    return inodes


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _family(pid: int) -> set[int]:
    """The process and its descendants."""
    family, frontier = {pid}, [pid]
    while frontier:
        for child in _children(frontier.pop()):
            family.add(child)
            frontier.append(child)
    return family


def owns_port(pid: int, port: int) -> bool:
    """Whether the socket listening on `port` is held by `pid` or one of its descendants."""
    inodes = _listening_inodes(port)
    if not inodes:
        return False
    for member in _family(pid):
        try:
            for fd in os.listdir(f"/proc/{member}/fd"):
                target = os.readlink(f"/proc/{member}/fd/{fd}")
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return True
        except OSError:
            continue
    return False


def serve(command: list[str], port: int, env: dict, *, check_path: str = "/healthz", timeout: float = 60,
          cwd: Path = ROOT) -> subprocess.Popen:
    """Start `command` in `cwd` (listening on `port`), wait until it answers 200 on `check_path` and owns the port."""
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{command[0]} exited with {process.returncode} before serving")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{check_path}", timeout=1) as answer:
                if answer.status == 200 and owns_port(process.pid, port):
                    return process
                if answer.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"port {port} is not served by the process this benchmark started")


def gunicorn(target: str, port: int, env: dict, *, workers: int = 2, threads: int = 1,
             checkout: Path = ROOT) -> subprocess.Popen:
    """gunicorn serving `target` of `checkout` (this one by default) on 127.0.0.1:`port` (checked to be this one)."""
    command = [str(checkout / ".venv/bin/gunicorn"), "--no-control-socket", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", str(threads), "--timeout", "120", "--log-level", "warning",
               target]
    return serve(command, port, env, cwd=checkout)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def app_and_reference(env: dict, workers: int) -> tuple[tuple[subprocess.Popen, int], tuple[subprocess.Popen, int]]:
    """((app, port), (reference, port)): `app:create_app()` and `bench.reference_wsgi:app` under gunicorn on free ports."""
    api_port, reference_port = free_port(), free_port()
    api = gunicorn("app:create_app()", api_port, env, workers=workers)
    try:
        reference = gunicorn("bench.reference_wsgi:app", reference_port, env, workers=workers)
    except BaseException:
        stop(api)
        raise
    return (api, api_port), (reference, reference_port)
