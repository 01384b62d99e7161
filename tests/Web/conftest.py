"""A live server for the web tests: uvicorn in a thread of the test process, workers as processes."""
import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed: pip install -e '.[web]'")
uvicorn = pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install -e '.[web]'")


class LiveServer:
    def __init__(self, maxRunning=2):
        from PuzzleLib.Web.server import makeApp

        self.app = makeApp(maxRunning=maxRunning)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        self.url = "http://127.0.0.1:%d" % self.port

    def request(self, method, path, body=None, raw=None, headers=None):
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers=dict({"Content-Type": "application/json"}, **(headers or {})))
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def json(self, method, path, body=None, **kwargs):
        status, payload, _ = self.request(method, path, body, **kwargs)
        return status, json.loads(payload)

    def events(self, runId, stopAfter=None):
        """Every message of a run's event stream until it ends (or ``stopAfter(message)`` is true)."""
        messages = []
        with urllib.request.urlopen(self.url + "/api/runs/%s/events" % runId, timeout=300) as r:
            for line in r:
                line = line.decode()
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                messages.append(message)
                if message["type"] in ("done", "error") or (message["type"] == "snapshot" and message["result"]) \
                        or message.get("state") == "stopped" or (stopAfter and stopAfter(message)):
                    break
        return messages

    def close(self):
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture(scope="module")
def live():
    server = LiveServer()
    yield server
    server.close()
