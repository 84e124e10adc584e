"""Writing one benchmark's section of benchmarks/RESULTS.md (shared by the scripts).

Each script owns the text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``;
running it again replaces only that section.
"""

from __future__ import annotations

import platform
import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine() -> str:
    """A one-line description of this machine and the library versions."""
    import os

    import numpy

    parts = [
        f"{platform.machine()} with {os.cpu_count()} CPU(s)",
        f"Python {platform.python_version()}",
    ]
    parts.append(f"NumPy {numpy.__version__}")
    try:
        import numba

        parts.append(f"Numba {numba.__version__}")
    except ImportError:
        pass
    try:
        import jax

        parts.append(f"jax {jax.__version__} on {jax.default_backend()}")
    except ImportError:
        pass
    return ", ".join(parts)


def write_section(name: str, text: str) -> None:
    """Replace (or append) the section ``name`` of RESULTS.md with ``text``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = f"{start}\n{text.strip()}\n{end}"
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if start in old and end in old:
        pattern = re.escape(start) + ".*?" + re.escape(end)
        new = re.sub(pattern, lambda _: section, old, flags=re.S)
    else:
        new = old.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(new)
