"""Checkpoints: a model's state as NumPy arrays, in memory or in one ``.npz`` file.

>>> state = net.state_dict()                 # {'Net0.E.V': array, ..., '__time__': array}
>>> net.load_state_dict(state)               # back to that state, in place
>>> bp.save_state('net.npz', net)            # the state and the random generator, on disk
>>> bp.load_state('net.npz', net)            # here or in another process

The state of a model is the value of each of its Variables (every Variable that
``model.vars()`` lists, TrainVars included), keyed by the path ``vars()`` writes
(``'Net0.E.V'``), and its model time (``model.t``) under ``'__time__'`` (a 0-d float64
array, in ms); a new ``bp.Runner`` on a restored model continues from that time.
Parameters that are not Variables (``tau``, the connectivity) are not part of it: they
come from building the same model again.

**The random generator.** With ``random=True`` (the default of :func:`save_state` and
:func:`load_state`; ``model.state_dict(random=True)``) the state of the generator that
the model's compiled code draws from is saved too, so that a run with noise or Poisson
input continues with exactly the numbers an uninterrupted run would have drawn:

- numpy backend: Numba's generator for ``np.random`` calls in compiled code, which is
  Numba's own Mersenne Twister, one per thread (``'__random_numba_mt__'``,
  ``'__random_numba_pos__'``, ``'__random_numba_gauss__'``: the 624 words, the position
  and the cached second normal deviate), read and written in the calling thread (the
  thread a Runner runs the compiled loop in; restoring it counts as seeding that
  thread: see the threads section of ``bp.math.random``); and NumPy's global generator
  (``np.random``, what ``bp.math.random`` draws from outside compiled code:
  ``'__random_numpy_mt__'``, ``'__random_numpy_pos__'``, ``'__random_numpy_gauss__'``).
  Not covered: the per-thread generators of worker threads of ``parallel=True``
  (``prange``) code, and Python's ``random`` module in compiled code.
- jax backend: the default key ``bp.math.random.DEFAULT`` (``'__random_jax_key__'``).
  A ``bp.math.random.RandomState`` held by the model is a Variable, saved as such.

Reserved keys have no dot in them; Variable paths always have one.

**Matching.** Entries are matched to the model's Variables by their path below the
model's own name: the state of ``Network0`` loads into a ``Network3`` built the same way
(names given by a counter differ between processes). Paths below the top are the
attribute names (``E``, ``E2E``) or, for nodes given to a ``Network`` without a keyword,
their names: give such nodes a ``name=`` (or keywords) if their counters may differ.

Everything is checked before anything is written: a missing entry, an entry this model
does not have, or one of the wrong shape or dtype raises a ``ValueError`` that names
the paths, and the model is left as it was.
"""

from __future__ import annotations

import ctypes
import os
import tempfile

import numpy as np

from brainjit.base import Base, model_time, set_model_time

__all__ = ["save_state", "load_state", "state_dict", "load_state_dict", "TIME_KEY"]

#: The key of the model time (ms) in a state.
TIME_KEY = "__time__"
_RANDOM_PREFIX = "__random_"
_MT_WORDS = 624

# The reserved random entries of each backend: name -> (shape, dtype).
_RANDOM_KEYS = {
    "numpy": {
        "__random_numba_mt__": ((_MT_WORDS,), np.dtype(np.uint32)),
        "__random_numba_pos__": ((), np.dtype(np.int64)),
        "__random_numba_gauss__": ((2,), np.dtype(np.float64)),  # has_gauss, gauss
        "__random_numpy_mt__": ((_MT_WORDS,), np.dtype(np.uint32)),
        "__random_numpy_pos__": ((), np.dtype(np.int64)),
        "__random_numpy_gauss__": ((2,), np.dtype(np.float64)),
    },
}


# -- the random generators ----------------------------------------------------------------
class _NumbaState(ctypes.Structure):
    """Numba's ``rnd_state_t`` (``numba/_random.c``): Numba's ``_helperlib`` gives the
    Mersenne Twister words but not the cached normal deviate, which a continued run of
    ``np.random.normal`` needs, so the structure is read and written whole."""

    _fields_ = [
        ("index", ctypes.c_int),
        ("mt", ctypes.c_uint * _MT_WORDS),
        ("has_gauss", ctypes.c_int),
        ("gauss", ctypes.c_double),
        ("is_initialized", ctypes.c_int),
    ]


def _numba_state() -> _NumbaState:
    """The generator that ``np.random`` calls in Numba-compiled code use in this thread
    (brought up to the latest ``bp.math.random.seed`` first, as compiled code would be
    on entry, where that applies to this thread)."""
    from numba import _helperlib

    from brainjit.math._numpy import random as numpy_random

    thread, latest = getattr(numpy_random, "THREAD", None), getattr(numpy_random, "SEED", None)
    if thread is not None and latest is not None and thread.generation != latest[0]:
        numpy_random.sync_thread()

    state = _NumbaState.from_address(_helperlib.rnd_get_np_state_ptr())
    index, words = _helperlib.rnd_get_state(_helperlib.rnd_get_np_state_ptr())
    if state.index != index or list(state.mt[:4]) != list(words[:4]):  # layout check
        raise RuntimeError(
            "brainjit.checkpoint: this Numba version lays out its random generator state "
            "differently; save and load with random=False"
        )
    return state


def _jax_key_shape() -> tuple[tuple, np.dtype]:
    from brainjit.math._jax import random as jax_random

    key = np.asarray(jax_random.DEFAULT.value)
    return key.shape, key.dtype


def _random_keys(backend: str) -> dict[str, tuple[tuple, np.dtype]]:
    if backend == "jax":
        return {"__random_jax_key__": _jax_key_shape()}
    return _RANDOM_KEYS["numpy"]


def _random_state(backend: str) -> dict[str, np.ndarray]:
    """The current state of the generators of ``backend`` as NumPy arrays."""
    if backend == "jax":
        from brainjit.math._jax import random as jax_random

        return {"__random_jax_key__": np.array(jax_random.DEFAULT.value, copy=True)}
    numba_state = _numba_state()
    _, words, pos, has_gauss, gauss = np.random.get_state(legacy=True)
    return {
        "__random_numba_mt__": np.array(numba_state.mt, dtype=np.uint32),
        "__random_numba_pos__": np.array(numba_state.index, dtype=np.int64),
        "__random_numba_gauss__": np.array(
            [numba_state.has_gauss, numba_state.gauss], dtype=np.float64
        ),
        "__random_numpy_mt__": np.array(words, dtype=np.uint32),
        "__random_numpy_pos__": np.array(pos, dtype=np.int64),
        "__random_numpy_gauss__": np.array([has_gauss, gauss], dtype=np.float64),
    }


def _set_random_state(backend: str, state: dict[str, np.ndarray]) -> None:
    """Restore the generators of ``backend`` (entries already checked)."""
    if backend == "jax":
        from brainjit.math._jax import random as jax_random

        jax_random.DEFAULT.value = state["__random_jax_key__"]
        return
    numba_state = _numba_state()
    numba_state.mt[:] = [int(w) for w in state["__random_numba_mt__"]]
    numba_state.index = int(state["__random_numba_pos__"])
    has_gauss, gauss = state["__random_numba_gauss__"]
    numba_state.has_gauss, numba_state.gauss = int(has_gauss), float(gauss)
    numba_state.is_initialized = 1
    _own_stream()
    has_gauss, gauss = state["__random_numpy_gauss__"]
    np.random.set_state(
        (
            "MT19937",
            np.asarray(state["__random_numpy_mt__"], dtype=np.uint32),
            int(state["__random_numpy_pos__"]),
            int(has_gauss),
            float(gauss),
        )
    )


def _own_stream() -> None:
    """After a restore: this thread's generator is set, as by ``seed`` in this thread, so
    that a later ``seed`` in another thread does not restart it (see the threads section
    of ``brainjit.math._numpy.random``)."""
    from brainjit.math._numpy import random as numpy_random

    thread, latest = getattr(numpy_random, "THREAD", None), getattr(numpy_random, "SEED", None)
    if thread is not None and latest is not None:
        thread.generation = latest[0]
        thread.own = True


# -- state dicts ------------------------------------------------------------------------
def _backend_of(model: Base) -> str:
    """The backend of the model's Variables (the active one for a model without any)."""
    for var in model.vars().values():
        return "jax" if type(var).__module__.startswith("brainjit.math._jax") else "numpy"
    from brainjit import math as bm

    return bm.get_backend_name()


def state_dict(model: Base, random: bool = False) -> dict[str, np.ndarray]:
    """``model.state_dict(random)``: see :meth:`brainjit.Base.state_dict`."""
    _check_model(model, "state_dict")
    state = {path: np.array(var.value, copy=True) for path, var in model.vars().items()}
    state[TIME_KEY] = np.array(model_time(model), dtype=np.float64)
    if random:
        state.update(_random_state(_backend_of(model)))
    return state


def _check_model(model, what: str) -> None:
    if not isinstance(model, Base):
        raise TypeError(
            f"{what}: model must be a bp.Base (a DynamicalSystem, a Network), got "
            f"{type(model).__name__}: {model!r}"
        )


def _listed(paths: list[str], limit: int = 8) -> str:
    shown = ", ".join(repr(p) for p in paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _relative(path: str) -> str:
    return path.split(".", 1)[1]


def _describe(value: np.ndarray) -> str:
    return f"shape {value.shape} and dtype {value.dtype}"


def load_state_dict(model: Base, state, where: str = "the state") -> None:
    """``model.load_state_dict(state)``: see :meth:`brainjit.Base.load_state_dict`.

    ``where`` names the state in error messages (``save_state``'s file)."""
    _check_model(model, "load_state_dict")
    if not hasattr(state, "keys"):
        raise TypeError(
            f"load_state_dict: the state must be a dict of arrays (model.state_dict()), "
            f"got {type(state).__name__}"
        )
    variables = model.vars()
    mine = {_relative(path): (path, var) for path, var in variables.items()}
    given: dict[str, tuple[str, np.ndarray]] = {}
    reserved: dict[str, np.ndarray] = {}
    problems: list[str] = []
    for key in state.keys():
        if not isinstance(key, str):
            problems.append(f"the key {key!r} is not a path (str)")
            continue
        value = np.asarray(state[key])
        if "." not in key:
            reserved[key] = value
        elif _relative(key) in given:
            problems.append(f"{key!r} and {given[_relative(key)][0]!r} name the same Variable")
        else:
            given[_relative(key)] = (key, value)
    saved_roots = sorted({path.split(".", 1)[0] for path, _ in given.values()})
    saved_from = f" (saved from {', '.join(map(repr, saved_roots))})" if saved_roots else ""
    if mine and given and not set(mine) & set(given):
        raise ValueError(
            f"load_state_dict: {where}{saved_from} is the state of another model: none of "
            f"its {len(given)} Variable paths is a path of {model.name} "
            f"({_listed(sorted(variables))}). Load the state into the model it was saved "
            "from, built the same way."
        )
    missing = [mine[rel][0] for rel in mine if rel not in given]
    if missing:
        problems.append(
            f"{model.name} has Variables that {where} lacks: {_listed(missing)} (a model "
            "built differently, or a Variable added since the state was saved)"
        )
    extra = [given[rel][0] for rel in given if rel not in mine]
    if extra:
        problems.append(
            f"{where} has entries that {model.name} has no Variable for: {_listed(extra)} "
            f"(paths are matched below the model's name; {model.name} has "
            f"{_listed(sorted(variables))})"
        )
    for rel, (key, value) in given.items():
        if rel not in mine:
            continue
        path, var = mine[rel]
        shape, dtype = tuple(var.shape), np.dtype(var.dtype)
        if value.shape != shape or value.dtype != dtype:
            problems.append(
                f"{path!r} is a Variable of shape {shape} and dtype {dtype}, but {where} "
                f"holds {_describe(value)} for {key!r}"
            )
    backend = _backend_of(model)
    random_entries = {k: v for k, v in reserved.items() if k.startswith(_RANDOM_PREFIX)}
    if TIME_KEY not in reserved:
        problems.append(f"{where} has no model time ({TIME_KEY!r})")
    elif reserved[TIME_KEY].shape != () or not np.issubdtype(reserved[TIME_KEY].dtype, np.number):
        problems.append(f"{where}: {TIME_KEY!r} must be a number (ms)")
    unknown = [k for k in reserved if k != TIME_KEY and k not in random_entries]
    if unknown:
        problems.append(f"{where} has unknown reserved entries: {_listed(unknown)}")
    if random_entries:
        problems += _check_random(backend, random_entries, where)
    if problems:
        raise ValueError(
            f"load_state_dict: {where} does not fit {model.name}; nothing was loaded:\n  - "
            + "\n  - ".join(problems)
        )
    for rel, (_, var) in mine.items():
        var.value = given[rel][1]
    set_model_time(model, float(reserved[TIME_KEY]))
    if random_entries:
        _set_random_state(backend, random_entries)


def _check_random(backend: str, entries: dict[str, np.ndarray], where: str) -> list[str]:
    """Problems with the random generator entries of a state for a model on ``backend``."""
    saved_on = "jax" if "__random_jax_key__" in entries else "numpy"
    if saved_on != backend:
        return [
            f"{where} holds the random generator of the {saved_on} backend, but the model is "
            f"on the {backend} backend; load it with random=False, or build the model on "
            f"the {saved_on} backend"
        ]
    expected = _random_keys(backend)
    problems = []
    absent = [k for k in expected if k not in entries]
    if absent:
        problems.append(f"{where} lacks random generator entries {_listed(absent)}")
    for key, value in entries.items():
        if key not in expected:
            problems.append(f"{where} has an unknown random generator entry {key!r}")
            continue
        shape, dtype = expected[key]
        if value.shape != tuple(shape) or value.dtype != dtype:
            problems.append(
                f"the random generator entry {key!r} must have shape {tuple(shape)} and "
                f"dtype {dtype}, got {_describe(value)}"
            )
    return problems


# -- files ------------------------------------------------------------------------------
def save_state(path, model: Base, random: bool = True) -> None:
    """Write the state of ``model`` into one ``.npz`` file at ``path``.

    What is saved is ``model.state_dict(random=random)`` (see the module docstring):
    every Variable, the model time and, by default, the random generator. The file is
    written atomically: into a temporary file in the same folder, then renamed over
    ``path`` (``os.replace``), so ``path`` always holds either the previous checkpoint or
    the complete new one, even if the process dies while writing. The name is used as
    given (``np.savez`` would add ``.npz``; here nothing is added).

    Args:
        path: the file (str or path-like); its folder must exist.
        model: a ``bp.Base`` (a network, a group).
        random: also save the random generator (default True).
    """
    _check_model(model, "save_state")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"save_state: the folder {folder!r} of {path!r} does not exist; create it first"
        )
    state = state_dict(model, random=random)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **state)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load_state(path, model: Base, random: bool = True) -> None:
    """Restore into ``model`` the state that :func:`save_state` wrote to ``path``.

    The model must be built the same way as the one that was saved (the same
    Variables, shapes and dtypes, on the same backend); its Variables are written in
    place, its model time set, and (``random=True``) the random generator restored, so
    that a Runner continues as the saved run would have. Everything is checked before
    anything is written (see :meth:`brainjit.Base.load_state_dict`).

    Args:
        path: the file written by :func:`save_state`.
        model: the model to restore into.
        random: also restore the random generator (default True; the file must then
            hold one). ``random=False`` restores the model only.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not a state file, or does not fit the model (the
            message names the file and the paths).
    """
    _check_model(model, "load_state")
    path = os.fspath(path)
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("a single array, not an .npz archive")
        with data:
            state = {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"load_state: no state file at {path!r}") from None
    except (ValueError, OSError) as error:
        raise ValueError(
            f"load_state: {path!r} is not a state file written by bp.save_state ({error})"
        ) from None
    has_random = any(key.startswith(_RANDOM_PREFIX) for key in state)
    if random and not has_random:
        raise ValueError(
            f"load_state: {path!r} holds no random generator state (it was saved with "
            "random=False); pass random=False to load the model's state alone"
        )
    if not random:
        state = {k: v for k, v in state.items() if not k.startswith(_RANDOM_PREFIX)}
    load_state_dict(model, state, where=f"the file {path!r}")
