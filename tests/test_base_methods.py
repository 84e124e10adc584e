"""``Base.nodes(method=...)`` / ``vars(method=...)`` / ``train_vars(...)``: BrainPy's key
layouts ('absolute': unique names; 'relative': attribute paths), ``level`` and
``include_self``, against the tree built by hand."""

import numpy as np
import pytest

import brainjit as bp

bm = bp.math


class Leaf(bp.Base):
    def __init__(self, name=None):
        super().__init__(name)
        self.V = bm.Variable(np.zeros(2))
        self.w = bm.TrainVar(np.ones(1))


class Mid(bp.Base):
    def __init__(self, name=None):
        super().__init__(name)
        self.leaf = Leaf()
        self.again = self.leaf  # reachable twice: listed once (its first path)
        self.g = bm.Variable(np.zeros(1))


class Top(bp.Base):
    def __init__(self):
        super().__init__()
        self.mid = Mid()
        self.items = [Leaf()]
        self.x = bm.Variable(np.zeros(3))


@pytest.fixture
def tree():
    top = Top()
    return top, top.mid, top.mid.leaf, top.items[0]


def test_default_layout_unchanged(tree):
    top, mid, leaf, item = tree
    t = top.name
    assert top.nodes() == {t: top, f"{t}.mid": mid, f"{t}.items.0": item, f"{t}.mid.leaf": leaf}
    assert list(top.vars()) == [
        f"{t}.x",
        f"{t}.mid.g",
        f"{t}.items.0.V",
        f"{t}.items.0.w",
        f"{t}.mid.leaf.V",
        f"{t}.mid.leaf.w",
    ]


def test_absolute_and_relative(tree):
    top, mid, leaf, item = tree
    absolute = {top.name: top, mid.name: mid, item.name: item, leaf.name: leaf}
    assert top.nodes("absolute") == absolute
    assert top.nodes(method="relative") == {"": top, "mid": mid, "items.0": item, "mid.leaf": leaf}
    assert top.vars("absolute") == {
        f"{top.name}.x": top.x,
        f"{mid.name}.g": mid.g,
        f"{item.name}.V": item.V,
        f"{item.name}.w": item.w,
        f"{leaf.name}.V": leaf.V,
        f"{leaf.name}.w": leaf.w,
    }
    assert top.vars("relative") == {
        "x": top.x,
        "mid.g": mid.g,
        "items.0.V": item.V,
        "items.0.w": item.w,
        "mid.leaf.V": leaf.V,
        "mid.leaf.w": leaf.w,
    }
    assert top.train_vars("relative") == {"items.0.w": item.w, "mid.leaf.w": leaf.w}
    assert mid.vars("relative") == {"g": mid.g, "leaf.V": leaf.V, "leaf.w": leaf.w}


def test_level_and_include_self(tree):
    top, mid, leaf, item = tree
    assert top.nodes("relative", level=0) == {"": top}
    assert top.nodes("relative", level=1) == {"": top, "mid": mid, "items.0": item}
    assert top.nodes("absolute", level=1, include_self=False) == {mid.name: mid, item.name: item}
    assert top.vars("relative", level=1, include_self=False) == {
        "mid.g": mid.g,
        "items.0.V": item.V,
        "items.0.w": item.w,
    }
    assert top.vars(level=0) == {f"{top.name}.x": top.x}
    assert top.train_vars("absolute", level=1) == {f"{item.name}.w": item.w}


def test_unknown_method(tree):
    top = tree[0]
    for call in (top.nodes, top.vars, top.train_vars):
        with pytest.raises(ValueError, match=r"'absolute'.*'relative'.*got 'abs'"):
            call("abs")
