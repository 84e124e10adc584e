"""``brainjit._pyast.parse``: parsing from several threads at once (CPython 3.11 bug).

On CPython 3.11, ``ast.parse`` in four threads with finalizers running in between
(this workload) fails with ``SystemError: AST constructor recursion depth mismatch``
in four runs out of four (measured, 10 rounds per thread); a runner
compiling in each of two threads hit it in CI.
"""

import ast
import pathlib
import threading

from brainjit._pyast import parse

SOURCE = "def f(x):\n" + "".join(
    f"    y{i} = ((x + {i}) * (x - {i})) / (1 + x ** 2)\n" for i in range(300)
)


class _Garbage:
    """A cycle whose finalizer runs Python code: the collector may switch threads."""

    def __init__(self):
        self.me = self

    def __del__(self):
        sum(range(50))


def test_parse_in_four_threads_at_once():
    errors: list = []

    def work():
        try:
            for _ in range(10):
                junk = [_Garbage() for _ in range(200)]
                del junk
                tree = parse(SOURCE)
                assert len(tree.body[0].body) == 300
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []


def test_brainjit_parses_only_through_the_lock():
    root = pathlib.Path(__file__).parents[1] / "brainjit"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "_pyast.py" and "ast.parse(" in path.read_text()
    ]
    assert offenders == []
    assert isinstance(parse("x = 1"), ast.Module)
