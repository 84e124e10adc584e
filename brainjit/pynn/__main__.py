"""Run an unchanged PyNN script on brainjit.

PyNN's example scripts pick their simulator from the command line through
``pyNN.utility.get_simulator``, which imports ``pyNN.<name>``. PyNN has no hook for
outside backends, so this runner makes ``brainjit.pynn`` importable under that name
as well (``pyNN.brainjit``, in this process only) and then runs the script as
``__main__``::

    python -m brainjit.pynn VAbenchmarks.py brainjit COBA
    python -m brainjit.pynn --backend jax Izhikevich.py brainjit --plot-figure

``--backend numpy|jax`` chooses brainjit's backend (as ``BRAINJIT_BACKEND`` does);
everything after the script's path is the script's own command line.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys


def alias() -> None:
    """Make ``import pyNN.brainjit`` (and ``get_simulator`` with ``brainjit``) give
    ``brainjit.pynn``."""
    import pyNN

    import brainjit.pynn as backend

    sys.modules["pyNN.brainjit"] = backend
    pyNN.brainjit = backend


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m brainjit.pynn",
        description="Run a PyNN script on brainjit ('brainjit' as its simulator name).",
    )
    parser.add_argument("--backend", choices=("numpy", "jax"), help="brainjit's backend")
    parser.add_argument("script", help="the PyNN script")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    options = parser.parse_args(argv)
    if not os.path.isfile(options.script):
        parser.error(f"no such script: {options.script}")
    if options.backend:
        import brainjit.math as bm

        os.environ["BRAINJIT_BACKEND"] = options.backend  # for subprocesses
        bm.use_backend(options.backend)
    alias()
    script = os.path.abspath(options.script)
    sys.argv = [script, *options.args]
    sys.path.insert(0, os.path.dirname(script))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
