"""The workbench engine alone: no listener, listeners, stop() from another thread, plain event data."""
import json
import threading

import numpy as np
import pytest

from PuzzleLib.Errors import WorkbenchError
from PuzzleLib.Workbench import Problem, Run, Settings


def small(**kwargs):
    return Settings(**dict(dict(hidden=[8], epochs=3), **kwargs))


def test_defaults_standardise_restart_and_keep_the_best():
    s = Settings()
    assert (s.normalize, s.restarts, s.keepBest, s.patience) == ("on", 4, True, None)
    t = Settings.tutorial()
    assert (t.normalize, t.restarts, t.keepBest) == ("off", 0, False)
    assert (t.hidden, t.activation, t.optimizer, t.lr, t.epochs, t.batch, t.seed) == \
        ([100], "relu", "momentum", 1e-2, 100, 10, 1234)


def test_a_run_with_no_listener_trains_and_reports():
    run = Run(Problem.fromFormula("2*sin(x)+5", [(-3, 3)], 64), small()).start()
    m = run.metrics
    assert m["epochsDone"] == 3 and len(m["errorPerEpoch"]) == 3 and not run.interrupted
    assert m["finalError"] < m["initialError"]
    assert run.after.shape == (64, 1) and run.before.shape == (64, 1)


def test_events_carry_plain_data_and_json():
    events = []
    run = Run(Problem.fromFormula("x", [(-1, 1)], 32), small(terms=True, normalize="off", keepBest=False)).listen(onEpoch=events.append).start()
    assert [e.epoch for e in events] == [1, 2, 3]
    assert events[-1].judgeError == run.metrics["errorPerEpoch"][-1]
    assert events[-1].prediction.shape == (32,) and events[-1].terms.shape == (32, 8)
    # the last event's terms add up to the prediction, less the output bias
    bias = run.net[2].vars["b"].data.get()[0]
    np.testing.assert_allclose(events[-1].terms.sum(axis=1) + bias, events[-1].prediction, rtol=1e-4, atol=1e-4)
    text = json.dumps(events[0].asDict())
    assert json.loads(text)["epoch"] == 1


def test_stop_from_another_thread_ends_after_an_epoch_or_macro_batch():
    run = Run(Problem.fromFormula("x", [(-1, 1)], 64), small(epochs=10 ** 6))
    seen = []

    def onEpoch(event):
        seen.append(event.epoch)
        if event.epoch == 2:
            threading.Thread(target=run.stop).start()

    run.listen(onEpoch=onEpoch).start()
    assert run.interrupted and run.metrics["epochsDone"] >= 2 and run.metrics["epochsDone"] < 100
    assert run.metrics["epochsDone"] == len(seen)


def test_notes_go_to_the_listener_not_to_stdout(capsys):
    notes = []
    Run(Problem.fromFormula("x**3", [(-3, 3)], 32), small(epochs=1, normalize="auto")).listen(onNote=lambda *a: notes.append(a)).start()
    assert notes and notes[0][0] == "note" and "standardised" in notes[0][1]
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("kwargs,words", [
    (dict(hidden=[0]), "hidden"), (dict(activation="swish"), "activation"), (dict(lr=-1.0), "lr"),
    (dict(epochs=-1), "epochs"), (dict(normalize="yes"), "normalize"),
])
def test_bad_settings_are_refused(kwargs, words):
    with pytest.raises(WorkbenchError, match=words):
        Settings(**kwargs)


def test_listeners_must_be_callable():
    with pytest.raises(WorkbenchError, match="callable"):
        Run(Problem.fromFormula("x"), small()).listen(onEpoch=3)
