"""The cache directory for generated source (jit functions, integrators, run loops).

Numba caches compiled code only for functions that live in a file, and tracebacks are
readable only when the source lines exist, so every generator writes its modules here.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "package_digest", "write_source"]

ENV = "BRAINJIT_CACHE_DIR"


def cache_dir(subdir: str) -> Path:
    """``$BRAINJIT_CACHE_DIR/<subdir>`` when that variable is set, else
    ``~/.cache/brainjit/<subdir>`` (``$XDG_CACHE_HOME`` respected), else a folder in the
    system's temporary directory when those are not writable. The variable is read on
    every call, so it can be changed at run time (tests do)."""
    root = os.environ.get(ENV)
    if root:
        candidates = [Path(root)]
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        candidates = [(Path(xdg) if xdg else Path.home() / ".cache") / "brainjit"]
    candidates.append(Path(tempfile.gettempdir()) / f"brainjit-cache-{os.getuid()}")
    for base in candidates:
        path = base / subdir
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return path
    raise OSError(f"brainjit: no writable cache directory; set ${ENV} to a writable folder")


def write_source(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it already holds exactly that text.

    An existing file is never rewritten: Numba's on-disk cache is keyed on the source
    file's modification time. New files are written atomically (rename), so concurrent
    processes never see a partial file.
    """
    try:
        if path.read_text() == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".py")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@functools.cache
def package_digest() -> str:
    """A digest of brainjit's own Python files (their paths and contents).

    Numba's on-disk cache of a function is keyed on that function's file only; code it
    calls from elsewhere (brainjit's kernels and ``@overload`` implementations, inlined
    into it) can change without it noticing. Caches of compiled code are kept in a folder
    named with this digest, so a changed brainjit never loads code compiled by another.
    """
    return tree_digest(Path(__file__).resolve().parent)


def tree_digest(root: Path) -> str:
    """A digest of the ``*.py`` files under ``root``: their relative paths and contents."""
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]
