"""The cache directory of compiled code is named after brainjit's own files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import fast_compile
import numpy as np
import pytest
from preloaded_python import run_python

from brainjit import _cache
from brainjit.math._numpy import codecache


def test_tree_digest_follows_the_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    (tmp_path / "notes.txt").write_text("not code")
    first = _cache.tree_digest(tmp_path)
    assert _cache.tree_digest(tmp_path) == first
    (tmp_path / "notes.txt").write_text("changed, but not code")
    assert _cache.tree_digest(tmp_path) == first
    (tmp_path / "sub" / "b.py").write_text("y = 3\n")
    changed = _cache.tree_digest(tmp_path)
    assert changed != first
    (tmp_path / "sub" / "b.py").rename(tmp_path / "b.py")  # same text, other place
    assert _cache.tree_digest(tmp_path) not in (first, changed)


def test_compiled_code_is_cached_per_brainjit_version(tmp_path, monkeypatch):
    monkeypatch.setenv("BRAINJIT_CACHE_DIR", str(tmp_path))
    folder = codecache.cache_dir()
    assert folder.parent == tmp_path
    assert folder.name.endswith("-" + _cache.package_digest())


# -- across processes: never stale, never fatal -------------------------------------------
#
# Each test runs small scripts in fresh processes that share a cache directory (the
# situation of a user who runs a simulation, edits something, and runs it again).


# First lines of every script: the digests of brainjit's own files fixed, so that files of
# this checkout edited while a test runs do not give its processes different caches
# (they are tested above; these tests are about the user's code and damaged files).
PIN = """
from brainjit import _cache
from brainjit.math._numpy import rewrite
_cache.package_digest = lambda: "pinned"
rewrite._backend_digest = lambda: "pinned"
"""


def _run(tmp_path, script: str, *args: str, cache=None, opt=None) -> subprocess.CompletedProcess:
    # at the compilers' default levels, as users run them (fast_compile.py: Numba does
    # not cache some -O0 code: "uses dynamic globals")
    env = {
        **fast_compile.as_users_run(os.environ),
        "BRAINJIT_CACHE_DIR": str(cache or tmp_path / "cache"),
        # no .pyc of the user's modules: Python's own bytecode cache is checked on the
        # file's mtime and size, as Numba's is (these tests keep both, to test ours)
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if opt is not None:
        env["NUMBA_OPT"] = opt
    # a process of its own, forked from one that has imported brainjit's dependencies
    # (not brainjit): preloaded_python.py
    run = run_python(Path(script), list(args), cwd=tmp_path, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    return run


def _edit_keeping_mtime(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` (same length) in ``path``, and give the file its old
    modification time back: the same size and time, as when an edit lands within the
    file system's time resolution."""
    assert len(old) == len(new)
    stat = path.stat()
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


HELPERS = """
import numba

@numba.njit
def g(x):
    return x + 1.0
"""

CALLEES = """
import numba
import helpers

@numba.njit(cache=True)
def f(x):
    return helpers.g(x) * 2.0
"""

MODEL_WITH_CALLEES = """
import numpy as np
import brainjit as bp
import mylib
from mylib import f as f2
bm = bp.math

class M(bp.Base):
    def __init__(self):
        super().__init__()
        self.x = bm.Variable(bm.zeros(2))

    def update(self):
        self.x[0] = mylib.f(1.0)  # through the module
        self.x[1] = f2(2.0)  # by a name of its own

m = M()
update = bm.jit(m.update, cache=True)
update()
print(*np.asarray(m.x), sum(update.dispatcher.stats.cache_hits.values()))
"""


def test_a_changed_callee_of_an_njit_function_is_recompiled(tmp_path):
    """Editing the body of a user @njit function in one file, which an @njit function
    with cache=True in another file calls (which a model calls), recompiles the
    model's code and the caller (Numba checks only the caller's own file), even when
    the edited file keeps its size and modification time."""
    (tmp_path / "helpers.py").write_text(HELPERS)
    (tmp_path / "mylib.py").write_text(CALLEES)
    (tmp_path / "script.py").write_text(PIN + MODEL_WITH_CALLEES)
    assert _run(tmp_path, "script.py").stdout.split() == ["4.0", "6.0", "0"]
    assert _run(tmp_path, "script.py").stdout.split() == ["4.0", "6.0", "1"]  # cached
    _edit_keeping_mtime(tmp_path / "helpers.py", "x + 1.0", "x + 5.0")
    assert _run(tmp_path, "script.py").stdout.split() == ["12.0", "14.0", "0"]
    assert _run(tmp_path, "script.py").stdout.split() == ["12.0", "14.0", "1"]


OPT_LEVEL_SCRIPT = """
import numba.core.config
import brainjit as bp
bm = bp.math

class M(bp.Base):
    def __init__(self):
        super().__init__()
        self.x = bm.Variable(bm.zeros(2))

    def update(self):
        self.x.value = self.x.value + 1.0

m = M()
update = bm.jit(m.update, cache=True)
update()
print(int(numba.core.config.OPT), sum(update.dispatcher.stats.cache_hits.values()))
"""


def test_compiled_code_is_cached_per_optimisation_level(tmp_path):
    """Code built at LLVM's -O0 (``NUMBA_OPT=0``: the test suite, debugging) is never
    loaded where -O3 is asked for, nor the other way round: Numba's own key leaves the
    level out."""
    (tmp_path / "script.py").write_text(PIN + OPT_LEVEL_SCRIPT)
    runs = [_run(tmp_path, "script.py", opt=level).stdout.split() for level in "00330"]
    assert runs == [["0", "0"], ["0", "1"], ["3", "0"], ["3", "1"], ["0", "1"]]


EW_LIB = """
import numba
import brainjit as bp
bm = bp.math

@bm.elementwise
def decay(x, tau):
    return x * bm.exp(-0.1 / tau)

@numba.njit
def decay_njit(x):
    return decay(x, 5.0)
"""

EW_SCRIPT = """
import sys
import numpy as np
import brainjit as bp
import ewlib
from ewlib import decay
from ewlib import decay as h
bm = bp.math

class G(bp.Base):
    def __init__(self):
        super().__init__()
        self.x = bm.Variable(bm.ones(4))

    def by_name(self):
        self.x.value = decay(self.x, 5.0)

    def by_module(self):
        self.x.value = ewlib.decay(self.x, 5.0)

    def in_place_by_module(self):
        ewlib.decay(self.x, 5.0, out=(self.x,))

    def by_alias(self):
        h(self.x, 5.0, out=(self.x,))

    def in_njit(self):
        self.x.value = ewlib.decay_njit(self.x)

for style in sys.argv[1:]:
    g = G()
    step = bm.jit(getattr(g, style), cache=True)
    step()
    print(style, float(np.asarray(g.x)[0]), sum(step.dispatcher.stats.cache_hits.values()))
"""


def test_elementwise_functions_are_cached_however_they_are_called(tmp_path):
    """An elementwise function called by name, through its module, under another
    name or from a user's @njit function, from code jitted with cache=True: the second
    process loads the cached code (and gets the same result) without a warning; after
    an edit of the function, the third one recompiles."""
    (tmp_path / "ewlib.py").write_text(EW_LIB)
    (tmp_path / "script.py").write_text(PIN + EW_SCRIPT)
    # (in_njit first: nothing else has made the kernel's modules yet)
    styles = ["in_njit", "by_name", "by_module", "in_place_by_module", "by_alias"]
    expected = np.exp(-0.1 / 5.0)
    for hits in (0, 1):
        run = _run(tmp_path, "script.py", *styles)
        assert "Warning" not in run.stderr, run.stderr
        for line, style in zip(run.stdout.splitlines(), styles, strict=True):
            name, value, n = line.split()
            assert (name, float(value), int(n) > 0) == (style, expected, bool(hits))
    _edit_keeping_mtime(tmp_path / "ewlib.py", "-0.1 / tau", "-0.2 / tau")
    run = _run(tmp_path, "script.py", *styles)
    for line in run.stdout.splitlines():
        assert float(line.split()[1]) == np.exp(-0.2 / 5.0), line


DAMAGE_SCRIPT = """
import numpy as np
import brainjit as bp
bm = bp.math

class N(bp.Base):
    def __init__(self):
        super().__init__()
        self.v = bm.Variable(bm.arange(3.0))

    def update(self, k):
        self.v.value = self.v * k + 1.0

n = N()
update = bm.jit(n.update, cache=True)
update(2.0)
print(*np.asarray(n.v), sum(update.dispatcher.stats.cache_hits.values()))
"""


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 4)


@pytest.fixture(scope="module")
def built_cache(tmp_path_factory):
    """A cache directory with the compiled code of DAMAGE_SCRIPT in it."""
    folder = tmp_path_factory.mktemp("built")
    (folder / "script.py").write_text(PIN + DAMAGE_SCRIPT)
    assert _run(folder, "script.py").stdout.split() == ["1.0", "3.0", "5.0", "0"]
    return folder / "cache"


@pytest.mark.parametrize(
    "pattern, damage",
    [
        ("__pycache__/update_*.nbi", _truncate),
        ("__pycache__/update_*.nbi", _garbage),
        ("__pycache__/update_*.nbc", _truncate),
        ("__pycache__/update_*.nbc", _garbage),
        ("update_*.py", _truncate),
        ("update_*.py", _garbage),
    ],
    ids=[
        "index-truncated",
        "index-garbage",
        "data-truncated",
        "data-garbage",
        "py-truncated",
        "py-garbage",
    ],
)
def test_a_damaged_cache_entry_is_rebuilt_with_a_warning(tmp_path, built_cache, pattern, damage):
    """A damaged file of the on-disk cache (cut short, or overwritten with other bytes)
    is removed and the code compiled again, with a warning that names the file; the
    process after that loads the rebuilt entry."""
    cache = tmp_path / "cache"
    shutil.copytree(built_cache, cache)
    (tmp_path / "script.py").write_text(PIN + DAMAGE_SCRIPT)
    (victim,) = cache.glob("jit-*/" + pattern)
    damage(victim)
    run = _run(tmp_path, "script.py", cache=cache)
    *values, hits = run.stdout.split()
    assert values == ["1.0", "3.0", "5.0"]
    if victim.suffix != ".py":  # a module written again, as it was, keeps its code
        assert hits == "0"
    assert "CacheDamageWarning" in run.stderr and victim.name in run.stderr, run.stderr
    run = _run(tmp_path, "script.py", cache=cache)
    assert run.stdout.split() == ["1.0", "3.0", "5.0", "1"]
    assert "Warning" not in run.stderr, run.stderr


def test_a_damaged_bytecode_file_of_a_generated_module_is_not_read(tmp_path, built_cache):
    """Generated modules are imported from their source: a ``.pyc`` file next to one
    (which Python would trust on its header, and fail to unmarshal) does not matter."""
    import importlib.util
    from importlib._bootstrap_external import _code_to_timestamp_pyc

    cache = tmp_path / "cache"
    shutil.copytree(built_cache, cache)
    (tmp_path / "script.py").write_text(PIN + DAMAGE_SCRIPT)
    (module,) = cache.glob("jit-*/update_*.py")
    code = compile(module.read_text(), str(module), "exec")
    stat = module.stat()
    pyc = _code_to_timestamp_pyc(code, int(stat.st_mtime), stat.st_size)
    bytecode = Path(importlib.util.cache_from_source(str(module)))
    bytecode.write_bytes(bytes(pyc)[: len(pyc) - 20])  # a valid header, cut short
    run = _run(tmp_path, "script.py", cache=cache)
    assert run.stdout.split() == ["1.0", "3.0", "5.0", "1"]


# -- the digest of what compiled code depends on ------------------------------------------

DIGEST_HELPERS = """
import numba

SCALE = 2.0

@numba.njit
def g(x):
    return x * SCALE + 1.0

@numba.njit
def unrelated(x):
    return x - 1.0
"""

DIGEST_MAIN = """
import numba
import dhelpers

def make(k):
    @numba.njit
    def h(x):
        return x + k
    return h

h = make(3.0)

@numba.njit
def f(x):
    return dhelpers.g(x) + h(x)
"""


def _digest_of_f(tmp_path, monkeypatch, helpers=DIGEST_HELPERS, main=DIGEST_MAIN) -> str:
    """``function_digest`` of ``dmain.f``, both modules imported afresh."""
    import importlib

    (tmp_path / "dhelpers.py").write_text(helpers)
    (tmp_path / "dmain.py").write_text(main)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("dmain", "dhelpers"):
        sys.modules.pop(name, None)
    importlib.invalidate_caches()
    return _cache.function_digest(importlib.import_module("dmain").f)


@pytest.mark.parametrize(
    "where, old, new",
    [
        ("helpers", "x * SCALE + 1.0", "x * SCALE + 2.0"),  # a constant of a callee
        ("helpers", "SCALE = 2.0", "SCALE = 3.0"),  # a global a callee reads
        ("helpers", "@numba.njit\ndef g", "@numba.njit(fastmath=True)\ndef g"),  # options
        ("main", "make(3.0)", "make(4.0)"),  # a closure variable of a callee
        ("main", "return dhelpers.g(x) + h(x)", "return dhelpers.g(x) - h(x)"),  # its code
    ],
)
def test_function_digest_follows_the_functions_compiled_code_reaches(
    tmp_path, monkeypatch, where, old, new
):
    """The digest is the same for the same code (imported again), and changes with a
    change anywhere in what Numba compiles into the function."""
    first = _digest_of_f(tmp_path, monkeypatch)
    assert _digest_of_f(tmp_path, monkeypatch) == first
    helpers, main = DIGEST_HELPERS, DIGEST_MAIN
    if where == "helpers":
        helpers = helpers.replace(old, new)
        assert helpers != DIGEST_HELPERS
    else:
        main = main.replace(old, new)
        assert main != DIGEST_MAIN
    assert _digest_of_f(tmp_path, monkeypatch, helpers, main) != first


def test_function_digest_ignores_what_compiled_code_does_not_reach(tmp_path, monkeypatch):
    first = _digest_of_f(tmp_path, monkeypatch)
    changed = DIGEST_HELPERS.replace("x - 1.0", "x - 2.0") + "\nOTHER = 1\n"
    assert _digest_of_f(tmp_path, monkeypatch, changed) == first
