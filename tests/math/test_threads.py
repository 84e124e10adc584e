"""Threads: jitted code called from several threads at once (issue 17, point 9).

jax backend: the trace stack is per thread, and a jitted call (values in, compiled call,
new values back) is atomic across threads. numpy backend: ``bp.math.random.seed(s)``
makes the random numbers of compiled code reproducible in any thread.
"""

import importlib
import queue
import sys
import threading
import time

import numpy as np

import brainjit as bp

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/running")
from runner_models import Net  # noqa: E402

TIMEOUT = 120  # s: a join that takes longer is a deadlock


def _in_threads(*targets):
    """Run each callable in its own thread, all started together; re-raise errors."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)
    errors: list = []

    def run(i, target):
        try:
            barrier.wait(TIMEOUT)
            results[i] = target()
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), "a thread did not finish (deadlock?)"
    if errors:
        raise errors[0]
    return results


# -- jax: one jitted object, two threads -------------------------------------------------------
class Counter(bp.Base):
    def __init__(self):
        super().__init__()
        self.n = bp.math.Variable(bp.math.zeros((), dtype=int))

    def __call__(self):
        self.n += 1


def test_jax_one_jitted_object_two_threads_loses_no_update():
    bp.math.use_backend("jax")
    counter = Counter()
    step = bp.math.jit(counter)
    step()  # compiled: the threads race on the hot path
    counter.n.value = 0

    def work():
        for _ in range(2000):
            step()

    _in_threads(work, work)
    assert int(counter.n.value) == 4000


def test_jax_first_calls_from_two_threads_at_once():
    """Both threads make the first call (the traces) of the same fresh jitted object."""
    bp.math.use_backend("jax")
    for _ in range(5):
        counter = Counter()
        step = bp.math.jit(counter)

        def work(step=step):
            for _ in range(20):
                step()

        _in_threads(work, work)
        assert int(counter.n.value) == 40
        assert step.num_traces == 2  # once to find the Variables, once with them


def test_jax_a_call_waiting_while_another_thread_traces_loses_no_update():
    """Two threads enter the hot path of a fresh jitted object and wait for the lock;
    the first traces (the layout of the hot path changes), then the second goes on."""
    bp.math.use_backend("jax")
    lock = importlib.import_module("brainjit.math._jax._trace").LOCK
    counter = Counter()
    step = bp.math.jit(counter)
    threads = [threading.Thread(target=step) for _ in range(2)]
    with lock:
        for t in threads:
            t.start()
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:  # both wait for the lock in the hot path
            frames = sys._current_frames()
            if all(frames[t.ident].f_code.co_name == "dispatch" for t in threads):
                break
            time.sleep(0.001)
        else:
            raise AssertionError("the threads did not reach the hot path")
    for t in threads:
        t.join(TIMEOUT)
    assert int(counter.n.value) == 2


def test_jax_default_random_key_two_threads_draw_each_number_once():
    """Two jitted functions both thread the default key (one Variable): drawn from two
    threads, they draw what 4000 calls in one thread draw, in some order."""
    bp.math.use_backend("jax")

    def draw():
        return bp.math.random.random(2)

    f, g = bp.math.jit(draw), bp.math.jit(lambda: draw())
    f(), g()
    bp.math.random.seed(3)
    expected = np.concatenate([np.asarray(f()) for _ in range(4000)])
    expected_key = np.asarray(bp.math.random.DEFAULT.value)

    def work(fn):
        return [fn() for _ in range(2000)]

    bp.math.random.seed(3)
    a, b = _in_threads(lambda: work(f), lambda: work(g))
    drawn = np.concatenate([np.asarray(x) for x in a + b])
    np.testing.assert_array_equal(np.sort(drawn), np.sort(expected))
    np.testing.assert_array_equal(np.asarray(bp.math.random.DEFAULT.value), expected_key)


def test_jax_eager_draws_from_two_threads_draw_each_number_once():
    bp.math.use_backend("jax")
    bp.math.random.seed(5)
    expected = np.concatenate([np.asarray(bp.math.random.random(2)) for _ in range(400)])

    def work():
        return [bp.math.random.random(2) for _ in range(200)]

    bp.math.random.seed(5)
    a, b = _in_threads(work, work)
    drawn = np.concatenate([np.asarray(x) for x in a + b])
    np.testing.assert_array_equal(np.sort(drawn), np.sort(expected))


def test_jax_trace_sees_only_its_own_thread():
    """Thread A traces; meanwhile thread B creates a Variable, writes another one and
    sets an attribute of a bp.Base (outside jitted code). A's trace must not claim (nor
    undo) any of it."""
    bp.math.use_backend("jax")
    tracing, done = threading.Event(), threading.Event()
    mine = bp.math.Variable(bp.math.zeros(3))
    theirs = bp.math.Variable(bp.math.zeros(3))
    kept = []
    other = bp.Base()
    other.label = "old"

    def f():
        tracing.set()
        assert done.wait(TIMEOUT)
        mine.value = mine.value + 1.0

    def a():
        bp.math.jit(f)()

    def b():
        assert tracing.wait(TIMEOUT)
        kept.append(bp.math.Variable(bp.math.ones(2)))  # B's own state, kept
        theirs.value = theirs.value + 5.0
        other.label = "new"
        done.set()

    _in_threads(a, b)
    np.testing.assert_array_equal(np.asarray(mine.value), np.ones(3))
    np.testing.assert_array_equal(np.asarray(theirs.value), np.full(3, 5.0))
    np.testing.assert_array_equal(np.asarray(kept[0].value), np.ones(2))
    assert other.label == "new"


# -- both backends: two Runners, two threads -----------------------------------------------------
def _run_net(seed, current):
    net = Net(n_e=16, n_i=4, seed=seed)
    runner = bp.Runner(
        net,
        monitors=["E.V", "E.spike", "count"],
        inputs=[("E.input", current)],
        progress_bar=False,
    )
    runner.run(20.0)
    return {k: np.asarray(v) for k, v in runner.mon.items()}


def test_two_runners_in_two_threads_equal_sequential(backend):
    cases = [(1, 2.5), (2, 3.0)]
    sequential = [_run_net(*c) for c in cases]
    threaded = _in_threads(*(lambda c=c: _run_net(*c) for c in cases))
    for seq, thr in zip(sequential, threaded):
        assert seq.keys() == thr.keys()
        for key in seq:
            np.testing.assert_array_equal(thr[key], seq[key], err_msg=key)
    assert sequential[0]["count"][-1] > 0


# -- numpy: seed() and the generator of compiled code in other threads ---------------------------
class Noisy(bp.Base):
    def __init__(self, n=5):
        super().__init__()
        self.x = bp.math.Variable(bp.math.zeros(n))

    def update(self, t, dt):
        self.x.value = self.x + bp.math.random.normal(0.0, 1.0, self.x.shape)


def _noisy_run():
    model = Noisy()
    runner = bp.Runner(model, monitors=["x"], progress_bar=False, dt=1.0)
    runner.run(20.0)
    return np.asarray(runner.mon["x"])


def _in_worker(fn):
    return _in_threads(fn)[0]


def test_numpy_seed_makes_worker_thread_runs_reproducible():
    bp.math.random.seed(11)
    first = _in_worker(_noisy_run)
    bp.math.random.seed(11)
    second = _in_worker(_noisy_run)
    np.testing.assert_array_equal(first, second)
    bp.math.random.seed(11)
    main = _noisy_run()  # documented: a thread's stream starts from the latest seed
    np.testing.assert_array_equal(first, main)
    bp.math.random.seed(12)
    assert not np.array_equal(_in_worker(_noisy_run), main)


def test_numpy_seed_reaches_a_thread_that_already_drew():
    """A long-lived worker (a pool thread) restarts from each new seed of another thread."""
    bp.math.use_backend("numpy")
    jobs: queue.Queue = queue.Queue()
    results: queue.Queue = queue.Queue()

    def worker():
        for job in iter(jobs.get, None):
            results.put(job())

    thread = threading.Thread(target=worker)
    thread.start()
    runs = []
    try:
        for s in (5, 5, 6):
            bp.math.random.seed(s)
            jobs.put(_noisy_run)
            runs.append(results.get(timeout=TIMEOUT))
    finally:
        jobs.put(None)
        thread.join(TIMEOUT)
    assert not thread.is_alive()
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[1], runs[2])


def test_numpy_a_thread_that_seeds_itself_keeps_its_stream():
    """Each of two threads seeds itself (different seeds): each run equals the same run
    after the same seed in the main thread, whatever the other thread does."""
    bp.math.use_backend("numpy")
    expected = {}
    for s in (21, 22):
        bp.math.random.seed(s)
        expected[s] = _noisy_run()
    seeded = threading.Barrier(2)

    def job(s):
        bp.math.random.seed(s)
        seeded.wait(TIMEOUT)  # both seeds set before either run
        return _noisy_run()

    a, b = _in_threads(lambda: job(21), lambda: job(22))
    np.testing.assert_array_equal(a, expected[21])
    np.testing.assert_array_equal(b, expected[22])


def test_numpy_seed_makes_worker_thread_jit_calls_reproducible():
    bp.math.use_backend("numpy")

    @bp.math.jit
    def draw(n):
        return np.random.random(n)

    def work():
        return [draw(4) for _ in range(3)]

    bp.math.random.seed(4)
    first = _in_worker(work)
    bp.math.random.seed(4)
    second = _in_worker(work)
    np.testing.assert_array_equal(np.array(first), np.array(second))
