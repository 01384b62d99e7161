"""The workbench page in a real browser (Playwright driving Debian's Chromium): type, start, watch,
stop, compare, download, and every bad input answered in the page.

Needs Chromium at /usr/bin/chromium (``apt-get install -y chromium``; .ci/run installs it) and the
``playwright`` package (test extra); Playwright's own browser download is not used.
"""
import os
import shutil
import time

import numpy as np
import pytest

CHROMIUM = os.environ.get("PUZZLELIB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="no Chromium at %s (apt-get install -y chromium)" % CHROMIUM)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright comes with the test extra")

SHOTS = os.environ.get("PUZZLELIB_SCREENSHOTS")  # a folder to keep screenshots in, when set


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser, live):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(live.url + "/")
    yield pg
    context.close()
    assert errors == [], "the page's script failed: %s" % errors


def _fill(pg, **fields):
    for name, value in fields.items():
        pg.fill("#" + name, str(value))


def _shot(pg, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        pg.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _waitState(pg, states, timeout=240):
    pg.wait_for_function("(s) => s.includes(document.body.dataset.runState)", arg=list(states), timeout=timeout * 1000)


def _startAndWait(pg, states=("done",), timeout=240):
    """Press Start, then wait until the page watches the new run and it reached one of ``states``."""
    previous = pg.evaluate("() => current ? current.id : null")
    pg.click("#start")
    pg.wait_for_function("([prev, s]) => current && current.id !== prev && s.includes(document.body.dataset.runState)",
                         arg=[previous, list(states)], timeout=timeout * 1000)


def test_typeStartWatchTheErrorFall(page):
    _fill(page, formula="2*sin(x)+5", points=2000, epochs=150, layers="32")
    page.click("#start")
    page.wait_for_function("() => current && current.epochs.length > 0", timeout=240000)
    seen = []
    deadline = time.time() + 240
    while time.time() < deadline:
        n = page.evaluate("() => current.epochs.length")
        seen.append(n)
        if page.evaluate("() => document.body.dataset.runState") == "done":
            break
        time.sleep(0.2)
    _waitState(page, ["done"])
    assert any(0 < n < 150 for n in seen), "the page never showed a run in progress: %s" % seen[:20]
    errors = page.evaluate("() => current.epochs.map((e) => e.judgeError)")
    assert len(errors) == 150 and errors[-1] < errors[0] / 10
    status = page.inner_text("#status")
    assert "final whole-grid error" in status and "epoch 150 of 150" in status
    # the charts hold the curves: 2000 x, the true values and the net's
    assert page.evaluate("() => charts.chartCurve.data[0].length") == 2000
    assert page.evaluate("() => charts.chartTerms.series.length") == 33
    assert "32 active" in page.inner_text("#termsCaption") or "active" in page.inner_text("#termsCaption")
    _shot(page, "web-restore.png")


def test_stopTakesEffectAndTheRunKeepsItsFiles(page):
    _fill(page, formula="sin(3*x)*exp(-x**2/4)", points=2000, epochs=5000, layers="64")
    page.click("#start")
    page.wait_for_function("() => current && current.epochs.length >= 3", timeout=240000)
    page.click("#stop")
    _waitState(page, ["stopped"])
    done = page.evaluate("() => current.epochs.length")
    assert 3 <= done < 5000
    assert page.is_disabled("#stop")
    page.click("#runs tbody tr:first-child a.show")  # the list shows it, with its files
    row = page.locator("#runs tbody tr").first
    assert "stopped" in row.inner_text() and row.locator("a[download]").count() == 3


def test_compareTwoRunsAndDownloadAModel(page, tmp_path):
    for seed in (1, 2):
        _fill(page, formula="x**2/4", points=256, epochs=20, layers="16", seed=seed)
        _startAndWait(page)
    page.evaluate("refreshRuns()")
    page.wait_for_function("() => document.querySelectorAll('#runs tbody tr').length >= 2")
    boxes = page.locator("#runs tbody input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click("#compare")
    page.wait_for_function("() => document.body.dataset.compared && document.body.dataset.compared.split(',').length == 2")
    assert page.evaluate("() => charts.chartCompareError.series.length") == 3  # x + two runs
    assert page.evaluate("() => charts.chartCompareCurve.series.length") == 4  # x + true + two runs
    _shot(page, "web-compare.png")

    with page.expect_download() as info:
        page.locator("#runs tbody tr").first.locator("a", has_text="model.h5").click()
    path = tmp_path / "model.h5"
    info.value.save_as(str(path))
    from PuzzleLib import Blueprint
    from PuzzleLib.Backend.gpuarray import to_gpu
    net = Blueprint.load(str(path))
    x = np.linspace(-1, 1, 5, dtype=np.float32).reshape(-1, 1)
    assert np.all(np.abs(net(to_gpu(x)).get()[:, 0] - x[:, 0] ** 2 / 4) < 0.2)


@pytest.mark.parametrize("fields,expect", [
    ({"formula": "2*sin(x+5^"}, "write ** for powers"),
    ({"formula": "__import__('os')"}, "bad formula"),
    ({"formula": "x", "epochs": -5}, "epochs: expected a whole number"),
    ({"formula": "x", "layers": "0"}, "layers"),
    ({"formula": "x", "lo": 3, "hi": -3}, "LOW < HIGH"),
    ({"formula": "x", "lr": -1}, "lr: expected a number > 0"),
])
def test_badInputsAreAnsweredInThePage(page, fields, expect):
    _fill(page, **{k: v for k, v in fields.items()})
    page.click("#start")
    page.wait_for_selector("#formError:not([hidden])")
    text = page.inner_text("#formError")
    assert expect in text, text
    if fields.get("formula") == "2*sin(x+5^":
        assert "2*sin(x+5^\n" + " " * 9 + "^" in text  # the caret under the column, on a line of its own
        _shot(page, "web-bad-formula.png")


def test_badCsvUploadsAreAnsweredInThePage(page, tmp_path):
    page.select_option("#source", "csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,oops\n4,5\n")
    page.set_input_files("#csv", str(bad))
    page.click("#start")
    page.wait_for_selector("#formError:not([hidden])")
    assert "line 3" in page.inner_text("#formError") and "oops" in page.inner_text("#formError")
    big = tmp_path / "big.csv"
    big.write_text("1,2\n" * 700000)
    page.set_input_files("#csv", str(big))
    page.click("#start")
    page.wait_for_function("() => document.querySelector('#formError').innerText.includes('at most')")


def test_aGoodCsvTrainsWithAValidationPart(page, tmp_path):
    rng = np.random.RandomState(0)
    x = rng.uniform(-3, 3, 200)
    csv = tmp_path / "noisy.csv"
    csv.write_text("x,y\n" + "".join("%.6f,%.6f\n" % (a, np.sin(a) + rng.normal(0, 0.1)) for a in x))
    page.select_option("#source", "csv")
    page.set_input_files("#csv", str(csv))
    _fill(page, epochs=30, layers="32")
    _startAndWait(page)
    assert "final validation error" in page.inner_text("#status")
