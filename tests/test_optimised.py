"""The tests marked ``optimised`` (vectorised loops: what LLVM's optimisation makes of
brainjit's code), run at the compilers' default optimisation levels in a process of
their own: the rest of the suite compiles without optimisation (``fast_compile.py``)."""

import os
import re
from pathlib import Path

import fast_compile
import pytest
from preloaded_python import run_python

TESTS = Path(__file__).resolve().parent
MARKED = sorted(
    str(path)
    for path in TESTS.rglob("test_*.py")
    if path.name != Path(__file__).name and "@pytest.mark.optimised" in path.read_text()
)


@pytest.mark.skipif(not fast_compile.active(), reason="this process runs them itself")
def test_optimised_tests_pass_at_the_default_levels(tmp_path):
    assert MARKED, "no test is marked optimised"
    env = {**fast_compile.as_users_run(os.environ), fast_compile.OPTIMISED: "1"}
    pytest_main = Path(pytest.__file__).with_name("__main__.py")
    args = ["-q", "-p", "no:cacheprovider", "-m", "optimised", "--rootdir", str(TESTS.parent)]
    run = run_python(pytest_main, [*args, *MARKED], cwd=TESTS.parent, env=env, timeout=600)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    passed = re.search(r"(\d+) passed", run.stdout)
    assert passed and int(passed.group(1)) >= 5 and "skipped" not in run.stdout, run.stdout
