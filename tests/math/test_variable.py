"""bp.math.Variable and TrainVar on both backends (the ``backend`` fixture runs each test
once per backend)."""

import copy
import pickle

import jax
import numpy as np
import pytest

import brainjit as bp


def plain_type(backend):
    """The type ``Variable.value`` has: the backend's plain array."""
    return np.ndarray if backend == "numpy" else jax.Array


def test_variable_is_an_array_of_the_backend(backend):
    v = bp.math.Variable(bp.math.zeros(3))
    assert isinstance(v, bp.math.ndarray)
    assert bp.math.is_variable(v) and not bp.math.is_trainvar(v)
    t = bp.math.TrainVar(bp.math.zeros(3))
    assert isinstance(t, bp.math.Variable) and bp.math.is_trainvar(t) and bp.math.is_variable(t)
    assert not bp.math.is_variable(bp.math.zeros(3)) and not bp.math.is_variable(np.zeros(3))


@pytest.mark.parametrize("source", ["list", "numpy", "backend array", "scalar"])
def test_construction(backend, source):
    data = {"list": [1.0, 2.0], "numpy": np.array([1.0, 2.0]), "scalar": 1.0}.get(source)
    if source == "backend array":
        data = bp.math.array([1.0, 2.0])
    v = bp.math.Variable(data)
    assert v.shape == np.shape(data)
    np.testing.assert_array_equal(np.asarray(v), np.asarray(data))
    assert v.dtype == bp.math.zeros(1).dtype  # the backend's default float


def test_construction_copies_the_data(backend):
    source = bp.math.array([1.0, 2.0])
    v = bp.math.Variable(source)
    v[0] = 5.0
    assert float(source[0]) == 1.0
    if backend == "numpy":
        raw = np.array([1.0, 2.0])
        w = bp.math.Variable(raw)
        raw[1] = 9.0
        assert float(w[1]) == 2.0


def test_construction_with_dtype(backend):
    v = bp.math.Variable([1, 2], dtype=bp.math.float32)
    assert v.dtype == np.float32
    w = bp.math.Variable(bp.math.array([1.5, 2.5]), dtype="int32")
    assert w.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(w), [1, 2])


def test_value_get_gives_the_plain_array(backend):
    v = bp.math.Variable(bp.math.arange(4.0))
    value = v.value
    assert type(value) is np.ndarray if backend == "numpy" else isinstance(value, jax.Array)
    assert isinstance(value, plain_type(backend))
    np.testing.assert_array_equal(np.asarray(value), [0.0, 1.0, 2.0, 3.0])
    if backend == "numpy":  # a view: compiled code mutates it in place
        value[0] = 7.0
        assert float(v[0]) == 7.0


@pytest.mark.parametrize("new", ["backend array", "numpy", "list of floats", "Variable"])
def test_value_set_keeps_the_variable(backend, new):
    v = bp.math.Variable(bp.math.zeros(3), name="v")
    ident = id(v)
    ones = np.ones(3, dtype=v.dtype)
    value = {
        "backend array": bp.math.array(ones),
        "numpy": ones,
        "list of floats": [1.0, 1.0, 1.0],
        "Variable": bp.math.Variable(bp.math.array(ones)),
    }[new]
    v.value = value
    assert id(v) == ident and type(v) is bp.math.Variable and v.dtype == ones.dtype
    np.testing.assert_array_equal(np.asarray(v), np.ones(3))


def test_value_set_with_lists_follows_the_python_scalar_rule(backend):
    v = bp.math.Variable(bp.math.zeros(2))
    v.value = [1, 2]  # ints into floats: fine
    np.testing.assert_array_equal(np.asarray(v), [1.0, 2.0])
    n = bp.math.Variable(bp.math.zeros(2, dtype=bp.math.int32), name="n")
    with pytest.raises(TypeError, match="'n'.*int32"):
        n.value = [1.5, 2.5]  # floats into ints: refused, as for a Python float
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        v.value = [1.0, 2.0, 3.0]


def test_value_set_with_another_shape_names_the_variable_and_both_shapes(backend):
    v = bp.math.Variable(bp.math.zeros((2, 3)), name="layer.V")
    with pytest.raises(ValueError) as info:
        v.value = bp.math.zeros((3, 2))
    message = str(info.value)
    assert "layer.V" in message and "Variable" in message
    assert "(2, 3)" in message and "(3, 2)" in message
    np.testing.assert_array_equal(np.asarray(v), np.zeros((2, 3)))


def test_value_set_with_another_dtype_names_the_variable_and_both_dtypes(backend):
    v = bp.math.Variable(bp.math.zeros(3, dtype=bp.math.int32), name="counts")
    with pytest.raises(TypeError) as info:
        v.value = bp.math.zeros(3, dtype=bp.math.float32)
    message = str(info.value)
    assert "counts" in message and "int32" in message and "float32" in message
    assert v.dtype == np.int32


def test_unnamed_variable_errors_name_its_type(backend):
    t = bp.math.TrainVar(bp.math.zeros(2))
    with pytest.raises(ValueError, match=r"TrainVar has shape \(2,\)"):
        t.value = bp.math.zeros(5)


def test_zero_dimensional_variable(backend):
    v = bp.math.Variable(1.0)
    assert v.shape == () and v.ndim == 0
    assert float(v) == 1.0
    v += 1
    assert float(v) == 2.0
    v.value = 5  # a Python int fits a float Variable
    assert float(v) == 5.0
    v.value = bp.math.array(3.0)
    assert float(v) == 3.0
    with pytest.raises(TypeError, match="Python float"):
        bp.math.Variable(1).value = 2.5  # a float does not fit an int Variable
    assert repr(bp.math.Variable(1.0)).startswith("Variable(1.")


def test_repr(backend):
    v = bp.math.Variable(bp.math.array([1.0, 2.0]))
    t = bp.math.TrainVar(bp.math.array([1.0, 2.0]))
    if backend == "numpy":
        assert repr(v) == "Variable([1., 2.])"
        assert repr(t) == "TrainVar([1., 2.])"
    else:
        assert repr(v) == "Variable([1., 2.], dtype=float32)"
        assert repr(t) == "TrainVar([1., 2.], dtype=float32)"


def test_operations_on_a_variable_give_plain_arrays(backend):
    v = bp.math.Variable(bp.math.arange(6.0).reshape(2, 3))
    results = {
        "v + 1": v + 1,
        "1 - v": 1 - v,
        "-v": -v,
        "v * v": v * v,
        "v[0]": v[0],
        "v[:, 1:]": v[:, 1:],
        "v.T": v.T,
        "v.reshape": v.reshape(3, 2),
        "v.copy()": v.copy(),
        "v.ravel()": v.ravel(),
        "v.astype": v.astype(bp.math.int32),
        "v.sum(0)": v.sum(0),
        "bp.math.sin(v)": bp.math.sin(v),
        "bp.math.concatenate": bp.math.concatenate([v, v]),
    }
    for label, r in results.items():
        assert not bp.math.is_variable(r), label
        assert isinstance(r, bp.math.ndarray), label
    np.testing.assert_allclose(np.asarray(results["v + 1"]), np.arange(6.0).reshape(2, 3) + 1)
    np.testing.assert_allclose(np.asarray(results["v.T"]), np.arange(6.0).reshape(2, 3).T)
    assert not bp.math.is_variable(v.sum())


def test_numpy_functions_accept_variables(backend):
    v = bp.math.Variable(bp.math.array([1.0, 4.0, 9.0]))
    assert np.sum(v) == 14.0
    np.testing.assert_allclose(np.sqrt(v), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(np.asarray(v), [1.0, 4.0, 9.0])
    np.testing.assert_allclose(np.concatenate([v, v]), [1.0, 4.0, 9.0] * 2)


def test_numpy_in_place_ufunc_on_a_numpy_variable():
    v = bp.math.Variable(np.zeros(3))
    ident = id(v)
    out = np.add(v, 2.0, out=v)
    assert out is v and id(v) == ident
    np.testing.assert_array_equal(v.value, [2.0, 2.0, 2.0])
    assert type(np.sin(v)) is bp.math.ndarray


def test_variables_are_hashable_by_identity_arrays_are_not(backend):
    a, b = bp.math.Variable(bp.math.zeros(2)), bp.math.Variable(bp.math.zeros(2))
    assert len({a, b, a}) == 2 and {a: 1}[a] == 1
    with pytest.raises(TypeError):
        hash(bp.math.zeros(2))


def test_pickle_and_deepcopy_keep_type_and_value(backend):
    v = bp.math.TrainVar(bp.math.array([1.0, 2.0]))
    for clone in (pickle.loads(pickle.dumps(v)), copy.deepcopy(v)):
        assert type(clone) is bp.math.TrainVar and clone is not v
        np.testing.assert_array_equal(np.asarray(clone), [1.0, 2.0])
        clone[0] = 9.0
        assert float(v[0]) == 1.0


def test_variable_in_jax_transformations():
    bp.math.use_backend("jax")
    v = bp.math.Variable(bp.math.array([1.0, 2.0, 3.0]))
    leaves, tree = jax.tree_util.tree_flatten(v)
    assert len(leaves) == 1 and leaves[0] is v.value
    doubled = jax.jit(lambda x: x * 2)(v)
    np.testing.assert_allclose(np.asarray(doubled), [2.0, 4.0, 6.0])
    grad = jax.grad(lambda x: (x.value**2).sum())(v)
    assert type(grad) is bp.math.Variable  # the pytree structure of the input
    np.testing.assert_allclose(np.asarray(grad), [2.0, 4.0, 6.0])
    sums = jax.vmap(lambda x: x.sum())(bp.math.Variable(bp.math.ones((4, 3))))
    np.testing.assert_allclose(np.asarray(sums), [3.0] * 4)
    rebuilt = jax.tree_util.tree_unflatten(tree, [v.value + 1])
    assert type(rebuilt) is bp.math.Variable
    np.testing.assert_allclose(np.asarray(v), [1.0, 2.0, 3.0])  # untouched
