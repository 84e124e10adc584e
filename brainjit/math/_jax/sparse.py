"""Sparse matrix products on the jax backend: ``csr_matvec`` (also ``csrmv``) and
``sparse_matmul``, with the numpy backend's arguments, checks and results (see
:mod:`brainjit.math._numpy.sparse`).

No dense matrix is built: each stored entry is multiplied by the vector element it
meets (a gather) and the products are summed by output position with
``jax.ops.segment_sum``. So both are differentiable (with respect to the values and the
dense operand) and work under ``jit``, ``vmap`` and ``grad``. The row of each CSR entry
is computed on the host (NumPy) when ``indptr`` is concrete, the usual case (a model
constant, also inside ``bp.math.jit``), else with ``jnp.repeat``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from brainjit.math._jax.ndarray import unwrap, wrap
from brainjit.math._numpy import sparse as _np_sparse
from brainjit.math._numpy.sparse import (
    _split,
    check_coo,
    check_csr_contents,
    check_csr_matvec,
    check_dense,
    unpack_coo,
)

__all__ = ["csr_matvec", "csrmv", "sparse_matmul"]


def _concrete(x):
    """``x`` as a NumPy array if its values are known now (not a tracer), else None."""
    return None if isinstance(x, jax.core.Tracer) else np.asarray(x)


def _dtype(values, vector):
    dtype = jnp.result_type(values, vector)
    return jnp.dtype(jnp.result_type(int)) if dtype == jnp.bool_ else dtype


def _row_ids(indptr, nnz):
    """The row of each stored entry."""
    host = _concrete(indptr)
    if host is not None:
        counts = np.diff(host.astype(np.int64))
        with jax.ensure_compile_time_eval():
            return jax.device_put(np.repeat(np.arange(counts.size, dtype=np.int32), counts))
    counts = jnp.diff(indptr)
    return jnp.repeat(jnp.arange(counts.shape[0]), counts, total_repeat_length=nnz)


def csr_matvec(values, indices, indptr, vector, shape, transpose=False):
    values_obj, indices_obj, indptr_obj = unwrap(values), unwrap(indices), unwrap(indptr)
    values = values_obj if isinstance(values_obj, jax.Array) else jnp.asarray(values_obj)
    vector = jnp.asarray(unwrap(vector))
    indices = indices_obj if hasattr(indices_obj, "shape") else np.asarray(indices_obj)
    indptr = indptr_obj if hasattr(indptr_obj, "shape") else np.asarray(indptr_obj)
    rows, cols = check_csr_matvec(
        values.shape, values.dtype, indices, indptr, vector.shape, vector.dtype, shape, transpose
    )
    if not isinstance(indptr, jax.core.Tracer) and not isinstance(indices, jax.core.Tracer):
        check_csr_contents("csr_matvec", indptr, indices, cols)
    dtype = _dtype(values, vector)
    row_ids = _row_ids(indptr, indices.shape[0])
    col_ids = jnp.asarray(indices)
    weights = values.astype(dtype)
    vector = vector.astype(dtype)
    if transpose:
        terms = weights * vector.at[row_ids].get(mode="promise_in_bounds")
        out = jax.ops.segment_sum(terms, col_ids, cols)
    else:
        terms = weights * vector.at[col_ids].get(mode="promise_in_bounds")
        out = jax.ops.segment_sum(terms, row_ids, rows, indices_are_sorted=True)
    return wrap(out)


csrmv = csr_matvec


def sparse_matmul(A, B):
    sparse, dense, left = _split(A, B)
    data, rows, cols, (n, m) = unpack_coo("sparse_matmul", sparse)
    data = jnp.asarray(unwrap(data))
    dense = jnp.asarray(unwrap(dense))
    rows, cols = (unwrap(x) for x in (rows, cols))
    rows = rows if hasattr(rows, "shape") else np.asarray(rows)
    cols = cols if hasattr(cols, "shape") else np.asarray(cols)
    check_coo("sparse_matmul", data.shape, rows, cols, (n, m))
    check_dense("sparse_matmul", dense.shape, m if left else n, left)
    for label, ids, bound in (("rows", rows, n), ("cols", cols, m)):
        host = _concrete(ids)
        if host is not None and host.size and (int(host.min()) < 0 or int(host.max()) >= bound):
            raise ValueError(
                f"sparse_matmul: sparse['index'] {label} must lie in [0, {bound}), got "
                f"{int(host.min())} .. {int(host.max())}"
            )
    dtype = _dtype(data, dense)
    data, dense = data.astype(dtype), dense.astype(dtype)
    rows, cols = jnp.asarray(rows), jnp.asarray(cols)
    if left:  # out[rows[s]] += data[s] * dense[cols[s]]
        gathered = dense.at[cols].get(mode="promise_in_bounds")
        terms = gathered * data.reshape(data.shape + (1,) * (dense.ndim - 1))
        return wrap(jax.ops.segment_sum(terms, rows, n))
    # out[..., cols[s]] += dense[..., rows[s]] * data[s]
    gathered = jnp.moveaxis(dense, -1, 0).at[rows].get(mode="promise_in_bounds")
    terms = gathered * data.reshape(data.shape + (1,) * (dense.ndim - 1))
    return wrap(jnp.moveaxis(jax.ops.segment_sum(terms, cols, m), 0, -1))


for _name in __all__:
    globals()[_name].__doc__ = getattr(_np_sparse, _name).__doc__
del _name
