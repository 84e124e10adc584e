"""bp.math.grad / value_and_grad / vector_grad on the jax backend: against jax.grad of the
equivalent pure functions and finite differences, composed with jit, and training."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainjit as bp


@pytest.fixture(autouse=True)
def _jax():
    bp.math.use_backend("jax")


class Linear(bp.Base):
    def __init__(self, n_in, n_out, seed=0):
        super().__init__()
        rng = bp.math.random.RandomState(seed)
        self.W = bp.math.TrainVar(rng.normal(0.0, 1.0, (n_in, n_out)))
        self.b = bp.math.TrainVar(rng.normal(0.0, 0.1, n_out))
        self.calls = bp.math.Variable(bp.math.zeros((), dtype=jnp.int32))

    def loss(self, x, y):
        self.calls += 1  # a Variable written inside: the update persists
        pred = bp.math.tanh(x @ self.W + self.b)
        return bp.math.mean((pred - y) ** 2)


def pure_loss(params, x, y):
    pred = jnp.tanh(x @ params["W"] + params["b"])
    return jnp.mean((pred - y) ** 2)


def _data(seed=1, n=8, n_in=3, n_out=2):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_in)).astype(np.float32)
    y = rng.normal(size=(n, n_out)).astype(np.float32)
    return bp.math.asarray(x), bp.math.asarray(y)


def test_grad_of_train_vars_matches_jax_grad_of_the_pure_function():
    model = Linear(3, 2)
    x, y = _data()
    grads = bp.math.grad(model.loss, grad_vars=model.train_vars())(x, y)
    params = {"W": model.W.value, "b": model.b.value}
    expected = jax.grad(pure_loss)(params, x.value, y.value)
    assert set(grads) == {f"{model.name}.W", f"{model.name}.b"}
    assert all(type(g) is bp.math.JaxArray for g in grads.values())
    np.testing.assert_allclose(grads[f"{model.name}.W"], expected["W"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(grads[f"{model.name}.b"], expected["b"], rtol=1e-5, atol=1e-7)
    assert int(model.calls) == 1


def test_grad_vars_structures_variable_list_tuple_dict():
    model = Linear(3, 2)
    x, y = _data()
    params = {"W": model.W.value, "b": model.b.value}
    expected = jax.grad(pure_loss)(params, x.value, y.value)
    single = bp.math.grad(model.loss, grad_vars=model.W)(x, y)
    assert type(single) is bp.math.JaxArray
    np.testing.assert_allclose(single, expected["W"], rtol=1e-5, atol=1e-7)
    as_list = bp.math.grad(model.loss, grad_vars=[model.b, model.W])(x, y)
    assert isinstance(as_list, list) and len(as_list) == 2
    np.testing.assert_allclose(as_list[0], expected["b"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(as_list[1], expected["W"], rtol=1e-5, atol=1e-7)
    as_tuple = bp.math.grad(model.loss, grad_vars=(model.W, model.W))(x, y)  # listed twice
    assert isinstance(as_tuple, tuple)
    np.testing.assert_allclose(as_tuple[1], expected["W"], rtol=1e-5, atol=1e-7)
    as_dict = bp.math.grad(model.loss, grad_vars={"w": model.W, "bias": model.b})(x, y)
    assert set(as_dict) == {"w", "bias"}
    np.testing.assert_allclose(as_dict["bias"], expected["b"], rtol=1e-5, atol=1e-7)


def test_grad_with_respect_to_arguments_and_variables():
    model = Linear(3, 2)
    x, y = _data()
    params = {"W": model.W.value, "b": model.b.value}
    ex_params, ex_x, ex_y = jax.grad(pure_loss, argnums=(0, 1, 2))(params, x.value, y.value)
    gx = bp.math.grad(model.loss, argnums=0)(x, y)
    assert type(gx) is bp.math.JaxArray
    np.testing.assert_allclose(gx, ex_x, rtol=1e-5, atol=1e-7)
    gxy = bp.math.grad(model.loss, argnums=(0, 1))(x, y)
    assert isinstance(gxy, tuple) and len(gxy) == 2
    np.testing.assert_allclose(gxy[1], ex_y, rtol=1e-5, atol=1e-7)
    var_grads, arg_grads = bp.math.grad(model.loss, grad_vars=model.b, argnums=1)(x, y)
    np.testing.assert_allclose(var_grads, ex_params["b"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(arg_grads, ex_y, rtol=1e-5, atol=1e-7)
    # the default is argnums=0; plain arrays, NumPy arrays and Variables as arguments
    f = bp.math.grad(lambda a, b: (a * b).sum())
    for a in (jnp.arange(3.0), np.arange(3, dtype=np.float32), bp.math.Variable(jnp.arange(3.0))):
        g = f(a, bp.math.full(3, 2.0))
        assert type(g) is bp.math.JaxArray
        np.testing.assert_allclose(g, [2.0, 2.0, 2.0])


def test_has_aux_and_return_value():
    v = bp.math.TrainVar(bp.math.asarray([1.0, 2.0]))

    def f(x):
        y = (v * x).sum()
        return y**2, {"y": y}

    x = bp.math.asarray([3.0, 4.0])
    y = 11.0
    g_v = 2 * y * np.asarray([3.0, 4.0])
    grads, aux = bp.math.grad(f, grad_vars=v, has_aux=True)(x)
    np.testing.assert_allclose(grads, g_v)
    assert type(aux["y"]) is bp.math.JaxArray and float(aux["y"]) == y
    grads, value, aux = bp.math.grad(f, grad_vars=v, has_aux=True, return_value=True)(x)
    assert float(value) == y**2 and float(aux["y"]) == y
    grads, value = bp.math.grad(lambda x: f(x)[0], grad_vars=v, return_value=True)(x)
    assert type(value) is bp.math.JaxArray and float(value) == y**2
    np.testing.assert_allclose(grads, g_v)
    (value, aux), grads = bp.math.value_and_grad(f, grad_vars=v, has_aux=True)(x)
    assert float(value) == y**2 and float(aux["y"]) == y
    np.testing.assert_allclose(grads, g_v)
    value, grads = bp.math.value_and_grad(lambda x: f(x)[0], argnums=0)(x)
    np.testing.assert_allclose(grads, 2 * y * np.asarray([1.0, 2.0]))


def test_grads_match_finite_differences():
    bp.math.enable_x64()
    try:

        class Model(bp.Base):
            def __init__(self):
                super().__init__()
                self.w = bp.math.TrainVar(bp.math.asarray([0.3, -0.7, 1.1]))
                self.s = bp.math.TrainVar(bp.math.asarray(0.5))

            def f(self, x):
                return bp.math.sum(bp.math.sin(self.w * x) * self.s + self.w**2) / (1 + x[0] ** 2)

        m = Model()
        x = bp.math.asarray([0.2, 1.5, -0.4])
        assert m.w.dtype == jnp.float64
        (gw, gs), gx = bp.math.grad(m.f, grad_vars=[m.w, m.s], argnums=0)(x)
        eps = 1e-6

        def fd(var_or_x, i):
            arr = var_or_x if isinstance(var_or_x, bp.math.Variable) else None
            base = np.asarray(var_or_x, dtype=np.float64)
            out = []
            for sign in (1, -1):
                shifted = base.copy()
                shifted.reshape(-1)[i] += sign * eps
                if arr is not None:
                    old = arr.value
                    arr.value = jnp.asarray(shifted)
                    out.append(float(m.f(x)))
                    arr.value = old
                else:
                    out.append(float(m.f(bp.math.asarray(shifted))))
            return (out[0] - out[1]) / (2 * eps)

        for i in range(3):
            np.testing.assert_allclose(float(gw[i]), fd(m.w, i), rtol=1e-6, atol=1e-8)
            np.testing.assert_allclose(float(gx[i]), fd(x, i), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(float(gs), fd(m.s, 0), rtol=1e-6, atol=1e-8)
    finally:
        bp.math.disable_x64()


def test_vector_grad():
    x = bp.math.asarray([0.1, 0.5, -1.3])
    g = bp.math.vector_grad(lambda x: bp.math.sin(x) * x)(x)
    expected = np.cos(np.asarray(x)) * np.asarray(x) + np.sin(np.asarray(x))
    np.testing.assert_allclose(g, expected, rtol=1e-6)
    _, vjp = jax.vjp(lambda a: jnp.sin(a) * a, x.value)
    np.testing.assert_allclose(g, vjp(jnp.ones(3))[0], rtol=1e-6)
    v = bp.math.TrainVar(bp.math.asarray([1.0, 2.0]))
    g, value = bp.math.vector_grad(lambda: (v**2, v * 3.0), grad_vars=v, return_value=True)()
    np.testing.assert_allclose(g, 2 * np.asarray([1.0, 2.0]) + 3.0)
    assert isinstance(value, tuple) and type(value[0]) is bp.math.JaxArray


def test_non_scalar_output_without_vector_grad_says_so():
    with pytest.raises(TypeError, match=r"shape \(3,\).*scalar.*bp\.math\.vector_grad"):
        bp.math.grad(lambda x: x**2)(bp.math.arange(3.0))
    with pytest.raises(TypeError, match="vector_grad"):
        bp.math.value_and_grad(lambda x: x**2)(bp.math.arange(3.0))


def test_bad_arguments():
    with pytest.raises(TypeError, match="grad_vars.*takes Variables"):
        bp.math.grad(lambda: 0.0, grad_vars=[bp.math.ones(2)])
    with pytest.raises(TypeError, match="has_aux=True.*pair"):
        bp.math.grad(lambda x: x.sum(), has_aux=True)(bp.math.ones(2))
    with pytest.raises(TypeError, match="argnums=2.*2 positional"):
        bp.math.grad(lambda a, b: a.sum(), argnums=2)(bp.math.ones(2), bp.math.ones(2))


def test_grad_composes_with_jit_and_updates_persist():
    model = Linear(3, 2)
    x, y = _data()
    g = bp.math.grad(model.loss, grad_vars=model.train_vars(), return_value=True)
    eager_grads, eager_loss = g(x, y)
    jitted = bp.math.jit(g)
    for _ in range(3):
        grads, loss = jitted(x, y)
    assert int(model.calls) == 4
    assert float(loss) == pytest.approx(float(eager_loss), rel=1e-6)
    for k in grads:
        np.testing.assert_allclose(grads[k], eager_grads[k], rtol=1e-5, atol=1e-7)
    assert jitted.num_traces == 2

    # grad inside a jitted training step, random numbers drawn inside the loss
    noisy = bp.math.Variable(bp.math.zeros(2))

    def noisy_loss(x, y):
        noisy.value = bp.math.random.normal(size=2)
        return model.loss(x, y) + 0.0 * noisy.sum()

    key_before = np.asarray(bp.math.random.DEFAULT.value)
    gn = bp.math.grad(noisy_loss, grad_vars=model.train_vars())

    @bp.math.jit
    def step(x, y):
        grads = gn(x, y)
        for k, p in model.train_vars().items():
            p.value = p - 0.1 * grads[k]

    step(x, y)
    first_noise = np.asarray(noisy)
    step(x, y)
    assert not np.allclose(first_noise, np.asarray(noisy))
    assert not np.array_equal(key_before, np.asarray(bp.math.random.DEFAULT.value))
    assert int(model.calls) == 6
    assert not any(isinstance(v._value, jax.core.Tracer) for v in model.vars().values())


def test_grad_through_a_jitted_method():
    class Net(bp.Base):
        def __init__(self):
            super().__init__()
            self.w = bp.math.TrainVar(bp.math.asarray([0.5, -0.25]))
            self.forward = bp.math.jit(self._forward)

        def _forward(self, x):
            return bp.math.tanh(x * self.w)

        def loss(self, x):
            return self.forward(x).sum()

    net = Net()
    x = bp.math.asarray([1.0, 2.0])
    g = bp.math.grad(net.loss, grad_vars=net.w)(x)
    expected = jax.grad(lambda w: jnp.tanh(x.value * w).sum())(net.w.value)
    np.testing.assert_allclose(g, expected, rtol=1e-6)
    np.testing.assert_allclose(bp.math.jit(bp.math.grad(net.loss, grad_vars=net.w))(x), expected)


def test_variables_restored_when_the_differentiated_function_raises():
    v = bp.math.TrainVar(bp.math.ones(2))
    other = bp.math.Variable(bp.math.zeros(2))

    def f(x):
        other.value = other + 1
        if True:
            raise ArithmeticError("nope")
        return (v * x).sum()

    with pytest.raises(ArithmeticError):
        bp.math.grad(f, grad_vars=v)(bp.math.ones(2))
    np.testing.assert_array_equal(np.asarray(v), [1.0, 1.0])
    np.testing.assert_array_equal(np.asarray(other), [0.0, 0.0])
    assert not isinstance(v._value, jax.core.Tracer)


# -- training -------------------------------------------------------------------------------------
class LogReg(bp.Base):
    def __init__(self, dim):
        super().__init__()
        self.w = bp.math.TrainVar(bp.math.zeros(dim))
        self.b = bp.math.TrainVar(bp.math.zeros(()))

    def logits(self, X):
        return X @ self.w + self.b

    def loss(self, X, y):  # y in {-1, +1}
        return bp.math.mean(bp.math.log1p(bp.math.exp(-y * self.logits(X))))


def test_logistic_regression_on_separable_data_reaches_full_accuracy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2)).astype(np.float32)
    margin = X @ np.asarray([1.5, -2.0]) + 0.3
    keep = np.abs(margin) > 0.2  # a clear gap between the classes
    X, y = X[keep], np.sign(margin[keep]).astype(np.float32)
    model = LogReg(2)
    grad = bp.math.grad(model.loss, grad_vars=model.train_vars(), return_value=True)

    @bp.math.jit
    def train(X, y):
        grads, loss = grad(X, y)
        for name, p in model.train_vars().items():
            p.value = p - 1.0 * grads[name]
        return loss

    losses = [float(train(X, y)) for _ in range(300)]
    accuracy = float(np.mean(np.sign(np.asarray(model.logits(bp.math.asarray(X)))) == y))
    assert accuracy == 1.0
    assert losses[-1] < 0.1 * losses[0]
    assert train.num_traces == 2


class RateRNN(bp.Base):
    """h <- (1 - a) h + a tanh(W h + U x + b); output V h."""

    def __init__(self, n, seed):
        super().__init__()
        rng = bp.math.random.RandomState(seed)
        self.W = bp.math.TrainVar(rng.normal(0.0, 1.0 / np.sqrt(n), (n, n)))
        self.U = bp.math.TrainVar(rng.normal(0.0, 1.0, n))
        self.b = bp.math.TrainVar(bp.math.zeros(n))
        self.V = bp.math.TrainVar(rng.normal(0.0, 1.0 / np.sqrt(n), n))
        self.h = bp.math.Variable(bp.math.zeros(n))  # the rates at the end of a run
        self.alpha = 0.5

    def loss(self, xs, ys):
        W, U, b, V, a = self.W.value, self.U.value, self.b.value, self.V.value, self.alpha

        def step(h, x):
            h = (1 - a) * h + a * jnp.tanh(W @ h + U * x + b)
            return h, V @ h

        h, preds = jax.lax.scan(step, jnp.zeros_like(self.h.value), xs.value)
        self.h.value = h
        return bp.math.mean((preds - ys.value) ** 2)


def test_rate_rnn_fits_a_sine_with_adam():
    T = 40
    t = np.arange(T, dtype=np.float32) / T
    xs, ys = bp.math.asarray(t), bp.math.asarray(np.sin(2 * np.pi * t))
    net = RateRNN(16, seed=0)
    params = net.train_vars()
    grad = bp.math.grad(net.loss, grad_vars=params, return_value=True)
    m1 = {k: bp.math.Variable(bp.math.zeros_like(p)) for k, p in params.items()}
    m2 = {k: bp.math.Variable(bp.math.zeros_like(p)) for k, p in params.items()}
    count = bp.math.Variable(bp.math.zeros(()))

    @bp.math.jit
    def train(xs, ys):
        grads, loss = grad(xs, ys)
        count.value = count + 1
        for k, p in params.items():
            m1[k].value = 0.9 * m1[k] + 0.1 * grads[k]
            m2[k].value = 0.999 * m2[k] + 0.001 * grads[k] ** 2
            step = m1[k] / (1 - 0.9**count) / (bp.math.sqrt(m2[k] / (1 - 0.999**count)) + 1e-8)
            p.value = p - 0.03 * step
        return loss

    losses = [float(train(xs, ys)) for _ in range(300)]
    assert losses[0] > 0.3
    assert losses[-1] < 5e-3
    assert float(net.loss(xs, ys)) < 5e-3
    assert float(bp.math.abs(net.h).sum()) > 0  # the rates written inside grad persisted
    assert train.num_traces == 2


def test_variable_arguments_not_differentiated_stay_state_inside_jit():
    w = bp.math.TrainVar(bp.math.ones(2))
    v = bp.math.Variable(bp.math.ones(2))

    def loss(scale, v):
        v += 1.0  # a write into a Variable argument (not differentiated) persists
        return (w * v * scale).sum()

    g = bp.math.grad(loss, grad_vars=w)
    f = bp.math.jit(lambda: g(1.0, v))
    np.testing.assert_allclose(f(), [2.0, 2.0])
    v.value = bp.math.full(2, 5.0)  # read afresh by the next call, not a baked-in constant
    np.testing.assert_allclose(f(), [6.0, 6.0])
    np.testing.assert_allclose(np.asarray(v), [6.0, 6.0])


def test_decorator_forms():
    v = bp.math.TrainVar(bp.math.asarray([1.0, 2.0]))

    @bp.math.grad(grad_vars=v, return_value=True)
    def f():
        return (v**2).sum()

    g, value = f()
    np.testing.assert_allclose(g, [2.0, 4.0])
    assert float(value) == 5.0

    @bp.math.grad
    def h(x):
        return (x**3).sum()

    np.testing.assert_allclose(h(bp.math.asarray([1.0, 2.0])), [3.0, 12.0])


# -- jacobian, jacrev, jacfwd, hessian ------------------------------------------------------------
class Affine(bp.Base):
    """tanh(x W + b) with a counter written inside: the Jacobian's function has state."""

    def __init__(self):
        super().__init__()
        self.W = bp.math.TrainVar(jnp.asarray([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]]) / 4)
        self.b = bp.math.TrainVar(jnp.asarray([0.1, -0.2]))
        self.calls = bp.math.Variable(jnp.zeros((), jnp.int32))

    def __call__(self, x):
        self.calls += 1
        return bp.math.tanh(x @ self.W + self.b)


def pure_affine(W, b, x):
    return jnp.tanh(x @ W + b)


X3 = jnp.asarray([0.3, -0.5, 0.8])


def _close(got, expected):
    got_leaves = jax.tree_util.tree_leaves(got, is_leaf=lambda a: isinstance(a, bp.math.JaxArray))
    exp_leaves = jax.tree_util.tree_leaves(expected)
    assert len(got_leaves) == len(exp_leaves)
    for g, e in zip(got_leaves, exp_leaves):
        assert type(g) is bp.math.JaxArray
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["jacrev", "jacfwd"])
def test_jacobians_match_jax_on_the_pure_function(name):
    assert bp.math.jacobian is bp.math.jacrev
    m = Affine()
    ref = jax.jacfwd if name == "jacfwd" else jax.jacrev
    jac = getattr(bp.math, name)
    W, b = m.W.value, m.b.value
    e_W, e_b, e_x = ref(pure_affine, argnums=(0, 1, 2))(W, b, X3)
    _close(jac(m, grad_vars=[m.W, m.b], argnums=0)(X3), ([e_W, e_b], e_x))  # 2.x layout
    _close(jac(m, grad_vars={"b": m.b})(X3), {"b": e_b})
    _close(jac(m)(X3), e_x)  # argnums=0 by default
    j, value = jac(m, grad_vars=m.W, return_value=True)(X3)
    _close(j, e_W)
    _close(value, pure_affine(W, b, X3))
    assert int(m.calls) == 4  # the Variables written inside keep their new values

    def f2(x, y):  # two arguments, an output that is a dict, aux
        out = m(x) * y
        return {"o": out, "s": out.sum()}, {"y2": y * 2}

    def pure2(x, y):
        out = pure_affine(W, b, x) * y
        return {"o": out, "s": out.sum()}

    # jitted (one compilation instead of many eager operations: a quicker test)
    y = jnp.asarray([2.0, -1.0])
    j, value, aux = bp.math.jit(jac(f2, argnums=(0, 1), has_aux=True, return_value=True))(X3, y)
    _close(j, jax.jit(ref(pure2, argnums=(0, 1)))(X3, y))  # the output's structure outside
    _close(value, pure2(X3, y))
    _close(aux, {"y2": y * 2})
    j, aux = bp.math.jit(jac(f2, grad_vars=m.b, argnums=1, has_aux=True))(X3, y)
    expected = ref(
        lambda b_, y_: {
            "o": pure_affine(W, b_, X3) * y_,
            "s": (pure_affine(W, b_, X3) * y_).sum(),
        },
        argnums=(0, 1),
    )(b, y)
    _close(j, {"o": expected["o"], "s": expected["s"]})


def test_hessian_matches_jax_hessian():
    m = Affine()
    W, b = m.W.value, m.b.value

    def f(x, y):
        return (bp.math.sin(x @ m.W + m.b) ** 2).sum() * y

    def pure(W_, b_, x, y):
        return (jnp.sin(x @ W_ + b_) ** 2).sum() * y

    y = jnp.asarray(1.5)
    h = bp.math.hessian(f)(X3, y)  # argnums=0: one block
    _close(h, jax.hessian(pure, argnums=2)(W, b, X3, y))
    assert h.shape == (3, 3)
    # jitted (one compilation instead of many eager operations: a quicker test)
    e = jax.jit(jax.hessian(pure, argnums=(1, 2, 3)))(W, b, X3, y)  # blocks [row][column]
    h = bp.math.jit(bp.math.hessian(f, grad_vars=m.b, argnums=(0, 1)))(X3, y)
    _close(h[0][0], e[0][0])  # (var, var)
    _close(h[0][1], (e[0][1], e[0][2]))  # (var, args)
    _close(h[1][0], (e[1][0], (e[1][1], e[1][2])))  # the row of x: (var, args)
    _close(h[1][1], (e[2][0], (e[2][1], e[2][2])))  # the row of y
    h, value = bp.math.jit(bp.math.hessian(f, grad_vars=[m.W], return_value=True))(X3, y)
    _close(h, [[jax.jit(jax.hessian(pure, argnums=0))(W, b, X3, y)]])
    _close(value, pure(W, b, X3, y))


def test_jacobians_compose_with_jit_and_see_current_values():
    m = Affine()
    f = bp.math.jit(bp.math.jacfwd(m, grad_vars=m.b))
    np.testing.assert_allclose(f(X3), jax.jacfwd(pure_affine, 1)(m.W.value, m.b.value, X3))
    m.b.value = jnp.asarray([1.0, 2.0])  # read afresh
    np.testing.assert_allclose(
        f(X3), jax.jacfwd(pure_affine, 1)(m.W.value, m.b.value, X3), rtol=1e-6
    )
    assert int(m.calls) == 2 and f.num_traces == 2


def test_vector_grad_options_match_jax_vjp():
    v = bp.math.TrainVar(jnp.asarray([1.0, -2.0, 0.5]))

    def f(x, y):
        return bp.math.sin(v * x) * y, {"x": x}

    x, y = jnp.asarray([0.2, 0.4, 0.6]), jnp.asarray([1.0, 2.0, 3.0])
    out, vjp = jax.vjp(lambda v_, x_, y_: jnp.sin(v_ * x_) * y_, v.value, x, y)
    e_v, e_x, e_y = vjp(jnp.ones(3))
    (gv, (gx, gy)), value, aux = bp.math.vector_grad(
        f, grad_vars=v, argnums=(0, 1), has_aux=True, return_value=True
    )(x, y)
    _close((gv, gx, gy), (e_v, e_x, e_y))
    _close(value, out)
    _close(aux, {"x": x})
    gy, aux = bp.math.vector_grad(f, argnums=1, has_aux=True)(x, y)
    _close(gy, e_y)


# -- dyn_vars (BrainPy's spelling) ----------------------------------------------------------------
def test_dyn_vars_accepted_and_checked():
    m = Affine()
    ref = jax.grad(lambda b: pure_affine(m.W.value, b, X3).sum())(m.b.value)
    loss = lambda x: m(x).sum()  # noqa: E731
    for dyn_vars in (m.vars(), list(m.vars().values()), (m.W,), m.W, {"a": [m.W, m.b]}):
        for make in (bp.math.grad, bp.math.vector_grad, bp.math.jacrev):
            _close(make(loss, grad_vars=m.b, dyn_vars=dyn_vars)(X3), ref)
    with pytest.raises(TypeError, match=r"bp\.math\.grad: dyn_vars\[1\] \(JaxArray\) is not a"):
        bp.math.grad(loss, dyn_vars=[m.W, bp.math.ones(2)])
    for name in ("value_and_grad", "vector_grad", "jacobian", "jacfwd", "hessian", "vmap"):
        with pytest.raises(TypeError, match=r"dyn_vars\['x'\] \(float\) is not a Variable"):
            getattr(bp.math, name)(loss, dyn_vars={"x": 1.0})


# -- the numpy backend: a clear error ------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["grad", "value_and_grad", "vector_grad", "jacobian", "jacrev", "jacfwd", "hessian"]
    + ["vmap", "pmap"],
)
def test_numpy_backend_says_to_use_jax(name):
    bp.math.use_backend("numpy")
    function = getattr(bp.math, name)
    assert "jax" in function.__doc__
    with pytest.raises(NotImplementedError, match=r"use_backend\('jax'\)"):
        function(lambda x: (x**2).sum())


def test_holomorphic_and_allow_int_as_in_jax():
    zs = jnp.asarray([1.0 + 1.0j, 0.5 - 2.0j])
    c = bp.math.Variable(jnp.asarray(0.5 + 0.25j))  # a complex Variable, read

    def f(z):
        return bp.math.sin(z) * z**2 + c

    def pure(z):
        return jnp.sin(z) * z**2 + c.value

    _close(bp.math.grad(f, holomorphic=True)(zs[0]), jax.grad(pure, holomorphic=True)(zs[0]))
    for name in ("jacrev", "jacfwd"):
        got = getattr(bp.math, name)(f, holomorphic=True)(zs)
        _close(got, getattr(jax, name)(pure, holomorphic=True)(zs))
    total = lambda z: pure(z).sum()  # noqa: E731
    _close(
        bp.math.hessian(lambda z: f(z).sum(), holomorphic=True)(zs),
        jax.hessian(total, holomorphic=True)(zs),
    )
    g_x, g_n = bp.math.grad(lambda x, n: (x * n).sum(), argnums=(0, 1), allow_int=True)(
        jnp.ones(2), jnp.arange(2)
    )
    _close(g_x, jnp.asarray([0.0, 1.0]))
    assert g_n.dtype == jax.dtypes.float0 and g_n.shape == (2,)
