"""Where the portal's background callbacks run, and in what context.

Without Celery (the embedded default) each job runs in a process of its own, its progress and result in
a DiskCache folder (BACKGROUND_CALLBACK_DIR, default instance/background-callbacks). With REDIS_URL and
Celery exports (EXPORT_RUNNER, `celery` by default then) the jobs go to the export workers (`flask --app
app exports worker`) on any machine, through the exports' own Celery app, which keeps their progress and
results in Redis.

Either way a job runs as the request that started it would: inside an app built from the server's own
config (database, storage, secrets) and a request context carrying that request's cookies, so the
signed-in user is loaded and checked exactly as for any request.

The job processes are not forked from the web process, as Dash's DiskcacheManager does: a fork inherits
the web process's database connections mid-use, and SQLite's in-process lock state with them (a child
then waits forever for a lock that a copy of another thread's connection "holds"). They are forked from a
fork server, a clean process started once that has imported the app and never opened a connection.
"""
import functools
import multiprocessing
import threading
from pathlib import Path

import dash
import psutil
from flask import Flask

#: Request headers a job keeps: the session cookie and what Flask-Login and links read; not the body's.
BODY_HEADERS = frozenset({"content-length", "content-type", "transfer-encoding", "content-encoding"})
#: Imported once by the fork server, so that a job starts in a fraction of a second (`app` holds the factory).
PRELOAD = ["__main__", "app"]

_lock = threading.Lock()
#: One DiskCache per folder per process: every app of a process (the tests make many) shares its folder's.
_caches: dict[Path, object] = {}
#: Per job process, the app built from the server's config it was given (one per config).
_servers: dict[tuple, Flask] = {}


def cache_folder(server: Flask) -> Path:
    configured = server.config.get("BACKGROUND_CALLBACK_DIR")
    return Path(configured) if configured else Path(server.instance_path) / "background-callbacks"


def _cache(folder: Path):
    import diskcache

    with _lock:
        if folder not in _caches:
            folder.mkdir(parents=True, exist_ok=True)
            _caches[folder] = diskcache.Cache(str(folder))
        return _caches[folder]


def in_request_context(server: Flask, function):
    """`function` run inside `server`, as the callback request that started the job."""

    @functools.wraps(function)
    def job(*args, **kwargs):
        request = dash.callback_context
        headers = {name: value for name, value in (request.headers or {}).items() if name.lower() not in BODY_HEADERS}
        environ = {"REMOTE_ADDR": request.remote} if request.remote else {}
        with server.test_request_context(request.path or "/_dash-update-component", method="POST", headers=headers,
                                         environ_base=environ):
            return function(*args, **kwargs)

    return job


def _processes():
    """The fork server context (started at the first job, with the app imported)."""
    context = multiprocessing.get_context("forkserver")
    with _lock:
        context.set_forkserver_preload(PRELOAD)
    return context


def _server_for(factory, config: dict) -> Flask:
    """In a job process: an app with the server's config, built by the server's own factory (one per config)."""
    key = tuple(sorted((name, repr(value)) for name, value in config.items()))
    if key not in _servers:
        _servers[key] = factory(config)
    return _servers[key]


def _run_job(factory, config: dict, function_key: str, result_key: str, progress_key: str, args, context) -> None:
    """A job process's work: the background callback `function_key` with Dash's own job wrapper."""
    server = _server_for(factory, config)
    manager = server.extensions["background_callback_manager"]
    manager.func_registry[function_key](result_key, progress_key, args, context)


class _InServer:
    """A manager whose jobs run inside its server, as the request that started them."""

    def __init__(self, server: Flask, handle):
        self.server = server
        super().__init__(handle)

    def register(self, key, fn, progress):
        # Dash registers a page's callbacks again with each app it builds (the tests build many): once is enough.
        if key not in self.func_registry:
            super().register(key, fn, progress)

    def make_job_fn(self, fn, progress, key=None):
        return super().make_job_fn(in_request_context(self.server, fn), progress, key)


class DiskcacheManager(_InServer, dash.DiskcacheManager):
    """A process per job (from the fork server), results in a DiskCache folder.

    A job is named by its process id and start time: the fork server reaps a finished job at once, so
    its id may soon be another process's, which must not be taken for it (Dash kills a job once its
    result is read).
    """

    def call_job_fn(self, key, job_fn, args, context):
        function_key = next(name for name, registered in self.func_registry.items() if registered is job_fn)
        process = _processes().Process(
            target=_run_job,
            # The factory travels by reference (its module and name): the job process imports it.
            args=(self.server.extensions["app_factory"], dict(self.server.config), function_key, key,
                  self._make_progress_key(key), args, dict(context)),
        )
        process.start()
        try:
            started = psutil.Process(process.pid).create_time()
        except psutil.Error:  # already done
            started = 0.0
        return f"{process.pid}:{started!r}"

    @staticmethod
    def _process(job):
        """The job's process while it runs, else None."""
        pid, _, started = str(job or "").partition(":")
        try:
            process = psutil.Process(int(pid))
            if repr(process.create_time()) != started or process.status() == psutil.STATUS_ZOMBIE:
                return None
        except (psutil.Error, ValueError):
            return None
        return process

    def job_running(self, job):
        return self._process(job) is not None

    def terminate_job(self, job):
        process = self._process(job)
        if process is None:
            return
        try:
            for child in process.children(recursive=True):
                child.kill()
            process.kill()
            process.wait(1)
        except psutil.Error:  # it ended meanwhile
            pass

    def terminate_unhealthy_job(self, job):
        return False  # a job's process is gone (and reaped) once it ends, healthy or not


class CeleryManager(_InServer, dash.CeleryManager):
    """Jobs on the export workers' Celery queue, progress and results in its Redis result backend."""

    def make_job_fn(self, fn, progress, key=None):
        # Dash declares the job a shared task, which Celery would give every Celery app of the process
        # (the tests run several servers, each with its own): this server's job is its own app's only.
        self.handle.task = functools.partial(type(self.handle).task, self.handle, shared=False)
        try:
            return super().make_job_fn(fn, progress, key)
        finally:
            del self.handle.task


def manager(server: Flask):
    """The background callback manager for `server`: Celery where the exports run on Celery, else DiskCache."""
    if server.config.get("REDIS_URL") and server.config.get("EXPORT_RUNNER") == "celery":
        # The export workers' Celery app, from the runner the entry point installed (jobs/exports.py).
        return CeleryManager(server, server.extensions["background_jobs"].celery())
    return DiskcacheManager(server, _cache(cache_folder(server)))
