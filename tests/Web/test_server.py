"""puzzlelib serve's server, driven over HTTP: runs, events, files, refusals, load."""
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

SMALL = {"formula": "2*sin(x)+5", "points": 64, "epochs": 8, "layers": [16]}


def _start(live, body):
    status, answer = live.json("POST", "/api/runs", body)
    assert status == 201, answer
    return answer["id"]


def test_aRunStreamsEveryEpochAndEndsWithTheCliNumbers(live, tmp_path):
    runId = _start(live, SMALL)
    messages = live.events(runId)
    kinds = [m["type"] for m in messages]
    assert kinds[0] == "snapshot" and kinds[-1] == "done"
    problem = next(m for m in messages if m["type"] == "problem") if "problem" in kinds else messages[0]["problem"]
    assert len(problem["x"]) == 64
    epochs = [m for m in messages if m["type"] == "epoch"]
    assert [m["epoch"] for m in messages[0]["epochs"]] + [m["epoch"] for m in epochs] == list(range(1, 9))
    assert "prediction" in epochs[-1] and len(epochs[-1]["prediction"]) == 64
    assert len(epochs[-1]["terms"]) == 16
    done = messages[-1]
    assert done["state"] == "done"

    # the command line, same settings and seed: the same final error, to the last digit
    out = tmp_path / "cli"
    subprocess.run([sys.executable, "-m", "PuzzleLib", "restore", "2*sin(x)+5", "--points", "64", "--epochs", "8",
                    "--layers", "16", "--out", str(out), "--quiet"], check=True, env=dict(os.environ))
    cli = json.loads((out / "metrics.json").read_text())
    assert done["metrics"]["finalError"] == cli["finalError"]
    assert done["metrics"]["errorPerEpoch"] == cli["errorPerEpoch"]


def test_filesOfAFinishedRun(live, tmp_path):
    from PuzzleLib import Blueprint

    runId = _start(live, SMALL)
    live.events(runId)
    status, model, headers = live.request("GET", "/api/runs/%s/files/model.h5" % runId)
    assert status == 200 and "attachment" in headers["content-disposition"]
    path = tmp_path / "model.h5"
    path.write_bytes(model)
    net = Blueprint.load(str(path))
    from PuzzleLib.Backend.gpuarray import to_gpu
    assert net(to_gpu(np.zeros((3, 1), np.float32))).get().shape == (3, 1)
    status, png, _ = live.request("GET", "/api/runs/%s/files/restore.png" % runId)
    assert status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n"
    status, metrics = live.json("GET", "/api/runs/%s/files/metrics.json" % runId)
    assert status == 200 and metrics["config"]["formula"] == "2*sin(x)+5"
    # names the client chooses are not files
    status, answer = live.json("GET", "/api/runs/%s/files/..%%2F..%%2Fetc%%2Fpasswd" % runId)
    assert status == 404
    status, answer = live.json("GET", "/api/runs/%s/files/secret.txt" % runId)
    assert status == 404 and "no file" in answer["error"]


@pytest.mark.parametrize("body,field,text", [
    ({"formula": "2*sin(x+5^"}, "formula", "write ** for powers"),
    ({"formula": "import os"}, "formula", "bad formula"),
    ({"formula": ""}, "formula", "expected a formula"),
    ({"formula": "x", "epochs": -1}, "epochs", "from 1 to 5000"),
    ({"formula": "x", "epochs": 10 ** 9}, "epochs", "from 1 to 5000"),
    ({"formula": "x", "lr": "fast"}, "lr", "expected a number"),
    ({"formula": "x", "layers": [0]}, "layers", "1 to 1024"),
    ({"formula": "x", "layers": [8] * 9}, "layers", "1 to 4"),
    ({"formula": "x", "activation": "swish"}, "activation", "expected one of"),
    ({"formula": "x", "range": [3, -3]}, "range", "LOW < HIGH"),
    ({"formula": "log(x)", "range": [-3, -1]}, "formula", "nothing left to train on"),
    ({"formula": "x", "csv": "1,2\n3,4\n"}, "formula", "not both"),
    ({"csv": "x,y\n1,2\n3,oops\n"}, "csv", "line 3"),
    ({"csv": "1,2\n" * 30000}, "csv", "at most 20000 rows"),
    ({"formula": "x", "shell": "rm -rf /"}, None, "unknown setting"),
])
def test_badRequestsGetAMessageAndA400(live, body, field, text):
    status, answer = live.json("POST", "/api/runs", body)
    assert status == 400, answer
    assert answer["field"] == field and text in answer["error"], answer


def test_theFormulaErrorCarriesItsColumn(live):
    status, answer = live.json("POST", "/api/runs", {"formula": "2*sin(x+5^"})
    assert status == 400 and answer["column"] == 9


def test_malformedAndOversizedBodies(live):
    status, payload, _ = live.request("POST", "/api/runs", raw=b"{not json")
    assert status == 400 and b"expected a JSON object" in payload
    status, payload, _ = live.request("POST", "/api/runs", raw=b"[1, 2]")
    assert status == 400
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=60)
    conn.putrequest("POST", "/api/runs")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(64 * 1024 * 1024))  # announced, never sent: refused before reading
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413 and b"too large" in response.read()
    conn.close()
    status, payload, _ = live.request("GET", "/api/runs/r999")
    assert status == 404
    assert live.json("GET", "/api/runs")[0] == 200  # alive after all of that


def test_stopEndsARunWithinAMacroBatchAndKeepsItsFiles(live):
    runId = _start(live, {"formula": "sin(3*x)", "points": 2000, "epochs": 5000, "layers": [32]})
    seen = live.events(runId, stopAfter=lambda m: m["type"] == "epoch" and m["epoch"] >= 2)
    assert seen[-1]["type"] == "epoch"
    began = time.time()
    assert live.json("POST", "/api/runs/%s/stop" % runId)[0] == 200
    rest = live.events(runId)
    assert time.time() - began < 60
    end = rest[-1] if rest[-1]["type"] != "snapshot" else rest[-1]["result"]
    assert end.get("interrupted") is True or end.get("state") == "stopped"
    status, snapshot = live.json("GET", "/api/runs/%s" % runId)
    assert snapshot["run"]["state"] == "stopped" and 2 <= len(snapshot["epochs"]) < 5000
    assert live.request("GET", "/api/runs/%s/files/model.h5" % runId)[0] == 200


def _rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the server's memory from /proc")
def test_twentyWatchersAndFourRunsAtOnce(live):
    runId = _start(live, SMALL)  # warm up: the first run and its stream allocate what later ones reuse
    live.events(runId)
    before = _rss()

    body = dict(SMALL, epochs=12)
    ids = [_start(live, dict(body, seed=s)) for s in range(4)]
    states = [live.json("GET", "/api/runs/%s" % i)[1]["run"]["state"] for i in ids]
    assert states.count("running") <= 2 and "queued" in states  # two train, the others wait
    seen = {}

    def watch(k):
        seen[k] = live.events(ids[k % 4])

    threads = [threading.Thread(target=watch, args=(k,)) for k in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    for k in range(20):
        messages = seen[k]
        epochs = [e["epoch"] for e in messages[0]["epochs"]] + [m["epoch"] for m in messages if m["type"] == "epoch"]
        assert epochs == list(range(1, 13)), (k, epochs)
        assert messages[-1]["type"] in ("done", "snapshot")
    for i in ids:
        assert live.json("GET", "/api/runs/%s" % i)[1]["run"]["state"] == "done"
    assert all(not v for v in live.app.state.watchers.values())  # every stream let go of its watcher
    time.sleep(0.5)
    grown = _rss() - before
    assert grown < 40 * 1024 * 1024, "the server kept %.1f MiB after its runs ended" % (grown / 2 ** 20)


def test_aClosedTabStopsNothing(live):
    import urllib.request

    runId = _start(live, dict(SMALL, epochs=30))
    with urllib.request.urlopen(live.url + "/api/runs/%s/events" % runId, timeout=60) as r:
        r.readline()  # one line, then the tab closes
    messages = live.events(runId)
    assert (messages[-1].get("state") or messages[-1]["run"]["state"]) == "done"


def test_serveRefusesABadPortOnOneLine():
    result = subprocess.run([sys.executable, "-m", "PuzzleLib", "serve", "--port", "70000"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and "--port: expected 1 to 65535" in result.stderr
    assert "Traceback" not in result.stderr
