import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from PuzzleLib.Errors import TransformerError
from PuzzleLib.Transformers.Generator import Generator
from PuzzleLib.Transformers.Noise import Noise
from PuzzleLib.Transformers.Provider import Provider
from PuzzleLib.Transformers.Serial import Serial
from tests.Transformers import _helpers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_pieces_split_in_order_and_joined_as_float32():
    data = np.arange(10, dtype=np.int64).reshape(10, 1)
    with Serial(data, numofthreads=3) as provider:
        provider.addTransformer(_helpers.AddIndex())
        provider.prepareData(chunksize=10)
        out = provider.getData()
        # pieces of 3, 3 and 4 rows (the last takes the remainder), piece i shifted by 100 * i
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out.ravel(), [0, 1, 2, 103, 104, 105, 206, 207, 208, 209])
        assert provider.getData() is out  # the same chunk until the next prepareData


def test_tuples_keep_their_dtypes_and_no_transformers_is_synchronous():
    data, labels = np.arange(8, dtype=np.float64).reshape(8, 1), np.arange(8, dtype=np.int32)
    with Serial(data, labels, numofthreads=2) as provider:
        provider.prepareData(chunksize=8)
        d, l = provider.getData()
        assert d.dtype == np.float64 and d is not None and l.dtype == np.int32
        provider.addTransformer(_helpers.WithLabels())
        provider.prepareData(chunksize=8)
        d, l = provider.getData()
        assert d.dtype == np.float64 and l.dtype == np.int32
        np.testing.assert_array_equal(l, np.arange(8) + 1)
        np.testing.assert_array_equal(d.ravel(), np.arange(8) * 2)


def test_workers_are_processes_running_at_once(tmp_path):
    with Serial(np.zeros((8, 1)), numofthreads=4) as provider:
        provider.addTransformer(_helpers.Rendezvous(str(tmp_path), 4))
        provider.addTransformer(_helpers.Pid())
        provider.prepareData(chunksize=8)
        pids = set(provider.getData().ravel().astype(int).tolist())
        assert len(pids) == 4 and os.getpid() not in pids
        assert pids == set(provider.pool.pids)


def test_a_seed_gives_the_same_chunks_and_workers_differ():
    def run():
        np.random.seed(42)
        with Serial(np.zeros((40, 2), np.float32), numofthreads=4) as provider:
            provider.addTransformer(Noise("gauss", 1.0))
            chunks = []
            for _ in range(2):
                provider.prepareData(chunksize=40)
                chunks.append(provider.getData().copy())
        return chunks

    first, second = run(), run()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])  # a new chunk, new noise
    pieces = first[0].reshape(4, 10, 2)
    assert len({p.tobytes() for p in pieces}) == 4  # each worker draws its own numbers


def test_generator_pieces_made_by_the_workers():
    with Generator(numofthreads=4) as gen:
        gen.addTransformer(_helpers.Make())
        gen.prepareData()
        out = gen.getData()
    assert out.shape == (40, 3, 4, 4)
    np.testing.assert_array_equal(out[:, 0, 0, 0], np.repeat(np.arange(4), 10))


def test_a_failing_transformer_is_raised_with_the_workers_traceback():
    with Serial(np.zeros((4, 1)), numofthreads=2) as provider:
        provider.addTransformer(_helpers.Boom(onPiece=1))
        provider.prepareData(chunksize=4)
        with pytest.raises(TransformerError) as info:
            provider.getData()
        message = str(info.value)
        assert "failed in worker 1" in message and "Traceback" in message
        assert "ValueError: boom in piece 1" in message and "_helpers.py" in message
        # the pipeline goes on
        provider.transformers = [_helpers.AddIndex()]
        provider.prepareData(chunksize=4)
        np.testing.assert_array_equal(provider.getData().ravel(), [0, 0, 100, 100])


def test_a_dying_worker_ends_the_pipeline_with_a_message():
    provider = Serial(np.zeros((4, 1)), numofthreads=2)
    provider.addTransformer(_helpers.Die())
    provider.prepareData(chunksize=4)
    with pytest.raises(TransformerError, match="worker 0 .* died with exit code 3.*pipeline is closed"):
        provider.getData()
    with pytest.raises(TransformerError, match="pool is closed"):
        provider.prepareData(chunksize=4)


def test_misuse():
    class Local(_helpers.AddIndex):
        pass

    with Serial(np.zeros((4, 1)), numofthreads=1) as provider:
        with pytest.raises(TransformerError, match="getData before prepareData"):
            provider.getData()
        provider.addTransformer(Local())
        with pytest.raises(TransformerError, match="must be picklable"):
            provider.prepareData(chunksize=2)
    with pytest.raises(TransformerError, match="numofthreads must be a positive integer, got 0"):
        Serial(np.zeros((4, 1)), numofthreads=0)
    with pytest.raises(TransformerError, match="chunksize must be a positive integer"):
        Generator(numofthreads=1).prepareData(chunksize=0)
    with pytest.raises(NotImplementedError):
        Provider(numofthreads=1).prepareData()


def _gone(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except FileNotFoundError:
        return True


def _waitGone(pids, limit=10.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not all(_gone(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if not _gone(p)]


_PARENT = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    sys.path.insert(0, %r)
    from PuzzleLib.Transformers.Serial import Serial
    from tests.Transformers import _helpers
    how = sys.argv[1]
    provider = Serial(np.zeros((4, 1)), numofthreads=3)
    provider.addTransformer(_helpers.Sleep(60))
    print(" ".join(str(p) for p in provider.pool.pids), flush=True)
    provider.prepareData(chunksize=4)
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif how == "interrupt":
        os.kill(os.getpid(), signal.SIGINT)
        provider.getData()
    else:
        raise RuntimeError("the program failed")
""")


@pytest.mark.parametrize("how", ["kill", "interrupt", "exception"])
def test_no_worker_outlives_its_parent(how):
    proc = subprocess.Popen([sys.executable, "-c", _PARENT % ROOT, how], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    pids = [int(p) for p in proc.stdout.readline().split()]
    _, err = proc.communicate(timeout=60)
    assert len(pids) == 3
    if how == "kill":
        assert proc.returncode == -signal.SIGKILL
    elif how == "interrupt":
        assert "KeyboardInterrupt" in err
    else:
        assert "the program failed" in err
    assert _waitGone(pids) == []
