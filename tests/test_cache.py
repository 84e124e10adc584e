"""The cache directory of compiled code is named after brainjit's own files."""

from __future__ import annotations

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
