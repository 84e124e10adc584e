"""Every ```python block in docs/*.md runs, top to bottom, one process per document.

Blocks of one document share a namespace (like a notebook). A block that is not meant
to run is fenced as ```text or ```bash. The process is forked from one that has imported
brainjit's dependencies, not brainjit (``preloaded_python.py``: the same run as
``python doc_script.py``, without the imports' 1-3 s per document).

Each document runs on the numpy backend (``BRAINJIT_BACKEND=numpy``), and its blocks up to
the first one that picks a backend itself (``use_backend(...)``, ``with
bp.math.backend(...)``) run on the jax backend too (``BRAINJIT_BACKEND=jax``): those are
the blocks written for whichever backend is active. From there on a document chooses its
backends itself (most run the same code on both, in a loop); running it again would
repeat the same work, and the suite's time matters.
"""

import os
import re
from pathlib import Path

import pytest
from preloaded_python import run_python

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
PICKS_BACKEND = re.compile(r"use_backend\(|math\.backend\(")
# appended to a document's script: the backend the environment asked for was active
CHECK_BACKEND = """
import brainjit as _bp
assert _bp.math.get_backend_name() == {backend!r}, _bp.math.get_backend_name()
"""


def python_blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text())


def default_backend_blocks(blocks: list[str]) -> list[str]:
    """The blocks before the first one that picks a backend itself."""
    for i, block in enumerate(blocks):
        if PICKS_BACKEND.search(block):
            return blocks[:i]
    return blocks


def cases():
    out = []
    for doc in DOCS:
        blocks = python_blocks(doc)
        if blocks:
            out.append(pytest.param(doc, "numpy", id=doc.name))
        if default_backend_blocks(blocks):
            out.append(pytest.param(doc, "jax", id=f"{doc.name}-jax"))
    return out


@pytest.mark.parametrize("doc,backend", cases())
def test_doc_blocks_run(doc, backend, tmp_path):
    blocks = python_blocks(doc)
    if backend != "numpy":
        blocks = default_backend_blocks(blocks)
    script = "\n\n".join(
        f"# --- block {i} of {doc.name}\n{block}" for i, block in enumerate(blocks, 1)
    )
    if backend != "numpy":
        script += CHECK_BACKEND.format(backend=backend)
    (tmp_path / "doc_script.py").write_text(script)
    result = run_python(
        tmp_path / "doc_script.py",
        [],
        cwd=tmp_path,
        timeout=900,
        env={**os.environ, "MPLBACKEND": "Agg", "BRAINJIT_BACKEND": backend},
    )
    assert result.returncode == 0, (
        f"{doc.name} failed on the {backend} backend:\n{result.stdout}\n{result.stderr}"
    )


def test_docs_have_code():
    assert any(python_blocks(d) for d in DOCS), "no executable code block found in docs/"


def test_default_backend_blocks_stop_at_the_first_backend_choice():
    blocks = ["x = 1\n", "bp.math.use_backend('jax')\n", "y = 2\n"]
    assert default_backend_blocks(blocks) == ["x = 1\n"]
    assert default_backend_blocks(["with bp.math.backend('jax'):\n    pass\n"]) == []
    assert default_backend_blocks(blocks[::2]) == blocks[::2]
