"""The web server: a Starlette app over a :class:`~PuzzleLib.Web.runs.RunManager`.

Routes: ``/`` the page; ``/static/...`` its scripts and styles (shipped in the package, no CDN);
``GET/POST /api/runs`` list and start runs; ``GET /api/runs/{id}`` a run's state;
``GET /api/runs/{id}/events`` server-sent events (the state so far, then each event);
``POST /api/runs/{id}/stop``; ``GET /api/runs/{id}/files/{name}`` model.h5, metrics.json,
restore.png once the run has ended. Bad requests get a 4xx with a JSON ``error`` (and the form
``field`` it concerns); nothing a client sends reaches a traceback.
"""
import asyncio
import contextlib
import json
import logging
import os
import threading

from PuzzleLib.Web.runs import RequestError, RunManager

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
MAX_BODY = 4 * 1024 * 1024
KEEPALIVE = 15.0
FILE_TYPES = {"model.h5": "application/x-hdf5", "metrics.json": "application/json", "restore.png": "image/png"}

log = logging.getLogger("PuzzleLib.Web")


def _sse(message):
    return "data: %s\n\n" % json.dumps(message, allow_nan=False, separators=(",", ":"))


def makeApp(manager=None, maxRunning=2, maxBody=MAX_BODY):
    """The Starlette application; ``app.state.manager`` is its RunManager (closed on shutdown).

    Example
    -------
    >>> app = makeApp(maxRunning=1)   # serve it with uvicorn.run(app, host="127.0.0.1", port=8050)
    >>> [route.path for route in app.routes][:3]
    ['/', '/api/runs', '/api/runs']
    >>> app.state.manager.close()
    """
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    watchers = {}  # run id -> set of (loop, queue)
    watchLock = threading.Lock()

    def publish(record, message):
        with watchLock:
            targets = list(watchers.get(record.id, ()))
        for loop, q in targets:
            try:
                loop.call_soon_threadsafe(q.put_nowait, message)
            except RuntimeError:  # that page's loop has closed
                pass

    if manager is None:
        manager = RunManager(maxRunning=maxRunning, publish=publish)
    else:
        manager.publish = publish

    def error(status, text, **extra):
        return JSONResponse(dict({"error": text}, **extra), status_code=status)

    def record(request):
        found = manager.runs.get(request.path_params["runId"])
        if found is None:
            raise HTTPException(404, "no run %r" % request.path_params["runId"])
        return found

    async def index(request):
        return FileResponse(os.path.join(STATIC, "index.html"), media_type="text/html")

    async def listRuns(request):
        return JSONResponse({"runs": manager.list(), "maxRunning": manager.maxRunning})

    async def startRun(request):
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > maxBody):
            return error(413, "the request is too large (at most %d bytes)" % maxBody)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > maxBody:
                return error(413, "the request is too large (at most %d bytes)" % maxBody)
        try:
            settings = json.loads(bytes(body).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            return error(400, "expected a JSON object of settings: %s" % e)
        try:
            run = await asyncio.get_running_loop().run_in_executor(None, manager.submit, settings)
        except RequestError as e:
            return error(400, str(e), field=e.field, column=e.column)
        return JSONResponse({"id": run.id, "run": run.summary(), "position": manager.queuePosition(run)},
                            status_code=201)

    async def getRun(request):
        run = record(request)
        with manager._lock:
            return JSONResponse(dict(run.snapshot(), position=manager.queuePosition(run)))

    async def stopRun(request):
        run = record(request)
        manager.stop(run)
        return JSONResponse({"id": run.id, "state": run.state})

    async def runFile(request):
        run = record(request)
        name = request.path_params["name"]
        if name not in FILE_TYPES:
            return error(404, "no file %r (there are %s)" % (name, ", ".join(FILE_TYPES)))
        if run.state not in ("done", "stopped"):
            return error(409, "run %s has no files yet (it is %s)" % (run.id, run.state))
        path = os.path.join(run.outDir, name)
        if not os.path.isfile(path):
            return error(404, "run %s wrote no %s" % (run.id, name))
        return FileResponse(path, media_type=FILE_TYPES[name], filename="%s-%s" % (run.id, name))

    async def events(request):
        run = record(request)
        loop = asyncio.get_running_loop()
        q = asyncio.Queue()
        entry = (loop, q)
        with manager._lock:  # the snapshot and the registration happen between two published messages
            first = dict(run.snapshot(), position=manager.queuePosition(run))
            with watchLock:
                watchers.setdefault(run.id, set()).add(entry)
        finished = run.state in ("done", "stopped", "error")

        async def stream():
            try:
                yield _sse(first)
                if finished:
                    return
                while True:
                    try:
                        message = await asyncio.wait_for(q.get(), KEEPALIVE)
                    except asyncio.TimeoutError:
                        yield ": keepalive\n\n"
                        continue
                    yield _sse(message)
                    if message["type"] in ("done", "error") or message.get("state") == "stopped":
                        return
            finally:
                with watchLock:
                    watchers.get(run.id, set()).discard(entry)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def httpError(request, exc):
        return error(exc.status_code, exc.detail)

    async def anyError(request, exc):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error(500, "internal error: %s" % type(exc).__name__)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        await asyncio.get_running_loop().run_in_executor(None, manager.close)

    app = Starlette(routes=[
        Route("/", index),
        Route("/api/runs", listRuns, methods=["GET"]),
        Route("/api/runs", startRun, methods=["POST"]),
        Route("/api/runs/{runId}", getRun),
        Route("/api/runs/{runId}/events", events),
        Route("/api/runs/{runId}/stop", stopRun, methods=["POST"]),
        Route("/api/runs/{runId}/files/{name}", runFile),
        Mount("/static", app=StaticFiles(directory=STATIC)),
    ], exception_handlers={HTTPException: httpError, Exception: anyError}, lifespan=lifespan)
    app.state.manager = manager
    app.state.watchers = watchers
    return app


def serve(host="127.0.0.1", port=8050, maxRunning=2, openBrowser=False, say=print):
    """Run the server until Ctrl-C (what ``puzzlelib serve`` does)."""
    import uvicorn

    if host not in ("127.0.0.1", "localhost", "::1"):
        say("warning: serving on %s: anyone who can reach this machine can start runs on it "
            "(the default, 127.0.0.1, is this machine only)" % host)
    app = makeApp(maxRunning=maxRunning)
    url = "http://%s:%d/" % ("127.0.0.1" if host in ("0.0.0.0", "::") else host, port)
    say("PuzzleLib workbench at %s (Ctrl-C stops it)" % url)
    if openBrowser:
        import webbrowser
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", limit_concurrency=200,
                            timeout_graceful_shutdown=5)
    uvicorn.Server(config).run()
