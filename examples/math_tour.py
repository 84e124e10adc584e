"""A tour of bp.math: the JIT tutorial's math examples on both backends.

    python examples/math_tour.py              # both backends
    python examples/math_tour.py --backend jax

Backend switch, array creation and manipulation, random numbers, linear algebra, FFT,
and in-place updates that keep the array's identity (the tutorial's cells [2]-[15] and
[29]-[39]), printed under headings. The same code runs on the numpy and the jax backend.
"""

from __future__ import annotations

import argparse
import time

import brainjit as bp


def heading(text: str) -> None:
    print(f"\n--- {text} " + "-" * max(0, 70 - len(text)))


def show(code: str, namespace: dict) -> object:
    """Print a line of code and the value it evaluates to (as a notebook cell would)."""
    value = eval(code, namespace)
    text = repr(value).replace("\n", "\n    ")
    print(f">>> {code}\n    {text}")
    return value


def run_statement(code: str, namespace: dict) -> None:
    print(f">>> {code}")
    exec(code, namespace)


def tour(backend: str) -> None:
    print("=" * 78)
    print(f"bp.math on the {backend} backend".center(78))
    print("=" * 78)
    ns = {"bp": bp}

    heading("Backend switch")
    run_statement(f"bp.math.use_backend({backend!r})", ns)
    show("bp.math.get_backend_name()", ns)

    heading("Array creation")
    show("bp.math.zeros((3, 3))", ns)
    show("bp.math.arange(10)", ns)
    run_statement("x = bp.math.array([[1, 2], [3, 4]])", ns)
    show("x", ns)

    heading("Array manipulation")
    show("bp.math.max(x)", ns)
    show("bp.math.repeat(x, 2)", ns)
    show("bp.math.repeat(x, 2, axis=1)", ns)

    heading("Random numbers")
    run_statement("bp.math.random.seed(2021)", ns)
    show("bp.math.random.random((3, 5))", ns)
    run_statement("y = bp.math.random.normal(loc=0.0, scale=2.0, size=(2, 5))", ns)
    show("y", ns)

    heading("Linear algebra")
    show("bp.math.dot(x, y)", ns)
    show("bp.math.linalg.eig(x)", ns)

    heading("Discrete Fourier transform")
    show("bp.math.fft.fft(bp.math.exp(2j * bp.math.pi * bp.math.arange(8) / 8))", ns)
    show("bp.math.fft.ifft(bp.math.array([0, 4, 0, 0]))", ns)

    heading("In-place updates keep the array (same id)")
    run_statement("v = bp.math.arange(10)", ns)
    first = id(ns["v"])
    for statement in (
        "v[0] = 1",
        "v[1:2] = 1",
        "v[[1, 3]] = 2",
        "v[:] = 0",
        "v[...] = bp.math.arange(10)",
        "v += 1",
        "v *= 2",
        "v |= bp.math.random.randint(0, 2, 10)",
        "v **= 2.",
        "v >>= 2",
    ):
        exec(statement, ns)
        same = "same id" if id(ns["v"]) == first else "NEW OBJECT"
        print(f">>> {statement:<40} # {same}")
    show("v", ns)
    assert id(ns["v"]) == first

    heading("Variables")
    run_statement("w = bp.math.Variable(bp.math.zeros(3))", ns)
    run_statement("w += 1", ns)
    run_statement("w.value = bp.math.ones(3) * 5", ns)
    show("w", ns)
    show("bp.math.is_variable(w + 1)", ns)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["numpy", "jax", "both"], default="both")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    for backend in ("numpy", "jax") if args.backend == "both" else (args.backend,):
        tour(backend)
        print()
    print(f"(the tour took {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
