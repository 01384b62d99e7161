"""Ctrl-C during ``puzzlelib restore``: training stops after the current macro-batch and every file is
still written for the epochs done."""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np


def test_sigint_stops_training_and_writes_everything(tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, PUZZLELIB_BACKEND="cpu", MPLBACKEND="Agg")
    proc = subprocess.Popen(
        [sys.executable, "-m", "PuzzleLib", "restore", "2*sin(x)+5", "--points", "128", "--neurons", "16",
         "--epochs", "1000000", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    seen = bytearray()

    def reader():
        for chunk in iter(lambda: proc.stderr.read1(4096), b""):
            seen.extend(chunk)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    try:
        # wait until the progress bar shows at least 3 epochs done
        while not re.search(rb"\b([3-9]|\d\d+)/1000000\b", bytes(seen)):
            assert proc.poll() is None, bytes(seen).decode(errors="replace")
            assert time.monotonic() < deadline, "training never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        # not communicate(): it would read stderr too, racing the reader thread for the last lines
        proc.wait(timeout=60)
        stdout = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    thread.join(timeout=5)
    err = bytes(seen).decode(errors="replace")

    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted: stopped after" in err
    assert sorted(os.listdir(out)) == ["metrics.json", "model.h5", "restore.png"]
    with open(out / "metrics.json") as f:
        metrics = json.load(f)
    assert metrics["interrupted"] is True
    assert 3 <= metrics["epochsDone"] < 1000000
    assert len(metrics["errorPerEpoch"]) == metrics["epochsDone"]
    # 128 rows: one macro-batch, so the stop lands at an epoch's end and that epoch is counted (it was
    # reported as "N full epochs (and 13 batches of the next)", the model holding one epoch more)
    assert metrics["steps"] == metrics["epochsDone"] * 13  # 128 rows in batches of 10
    assert "stopped after %d full epochs; writing results" % metrics["epochsDone"] in err

    from PuzzleLib import Blueprint
    from PuzzleLib.Backend.gpuarray import to_gpu

    net = Blueprint.load(str(out / "model.h5"))
    net.evalMode()
    x = np.linspace(-3, 3, 128, dtype=np.float32).reshape(-1, 1)
    pred = net(to_gpu(x)).get().astype(np.float64)
    y = (2 * np.sin(x.astype(np.float64)) + 5).astype(np.float32)
    assert metrics["finalError"] == np.float64(0.5 * np.mean((pred - y) ** 2)).item() or \
        abs(metrics["finalError"] - 0.5 * np.mean((pred - y) ** 2)) <= 1e-6 * metrics["finalError"]
    assert "wrote" in stdout.decode()
