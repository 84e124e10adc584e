"""Every ```python block in docs/*.md runs, top to bottom, one process per document.

Blocks of one document share a namespace (like a notebook). A block that is not meant
to run is fenced as ```text or ```bash.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text())


@pytest.mark.parametrize("doc", [d for d in DOCS if python_blocks(d)], ids=lambda d: d.name)
def test_doc_blocks_run(doc, tmp_path):
    blocks = python_blocks(doc)
    script = "\n\n".join(
        f"# --- block {i} of {doc.name}\n{block}" for i, block in enumerate(blocks, 1)
    )
    (tmp_path / "doc_script.py").write_text(script)
    result = subprocess.run(
        [sys.executable, "doc_script.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        env={**__import__("os").environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, f"{doc.name} failed:\n{result.stdout}\n{result.stderr}"


def test_docs_have_code():
    assert any(python_blocks(d) for d in DOCS), "no executable code block found in docs/"
