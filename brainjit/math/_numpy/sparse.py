"""Sparse matrix products on the numpy backend: ``csr_matvec`` (a CSR matrix times a
dense vector, BrainPy 2.x's ``bm.csr_matvec``; also ``csrmv``) and ``sparse_matmul``
(a COO matrix, BrainPy's ``{'data', 'index': (rows, cols), 'shape'}`` dict, times a
dense vector or matrix, on either side).

The products are serial Numba loops over the stored entries. ``csr_matvec`` is also
``@overload``-ed for Numba, so ``bp.math.csr_matvec`` compiles inside ``bp.math.jit``
code; ``sparse_matmul`` takes a dict, which Numba cannot, so it runs eagerly only
(compiled code: ``csr_matvec``, or ``segment_sum`` of the products).
"""

from __future__ import annotations

import numbers
import weakref

import numba
import numpy as np
from numba.core import types as nbtypes
from numba.core.errors import TypingError
from numba.extending import overload

from brainjit.math import _numba
from brainjit.math._numpy.event import _weight
from brainjit.math._numpy.ops import to_ndarray

__all__ = ["csr_matvec", "csrmv", "sparse_matmul"]


# -- kernels ------------------------------------------------------------------------------
#
# Column ids index as unsigned integers: Numba then skips the wrap-around test of negative
# indices (about a quarter of the time of a product); they are checked to lie in
# [0, shape[1]) when called eagerly.


@numba.njit(cache=True, nogil=True)
def _csr_rows(values, indices, indptr, vector, out):
    """``out[r] = sum(values[s] * vector[indices[s]])`` over the entries ``s`` of row r."""
    for r in range(out.shape[0]):
        acc = out[r]
        for s in range(indptr[r], indptr[r + 1]):
            acc += _weight(values, s) * vector[np.uintp(indices[s])]
        out[r] = acc
    return out


@numba.njit(cache=True, nogil=True)
def _csr_columns(values, indices, indptr, vector, out):
    """The transposed product: ``out[indices[s]] += values[s] * vector[r]``."""
    for r in range(indptr.shape[0] - 1):
        v = vector[r]
        for s in range(indptr[r], indptr[r + 1]):
            out[np.uintp(indices[s])] += _weight(values, s) * v
    return out


@numba.njit(cache=True, nogil=True)
def _coo_rows(values, rows, cols, dense, out):
    """``out[rows[s], :] += values[s] * dense[cols[s], :]`` (``dense`` and ``out`` 2-D)."""
    for s in range(rows.shape[0]):
        w = _weight(values, s)
        r, c = rows[s], cols[s]
        for j in range(out.shape[1]):
            out[r, j] += w * dense[c, j]
    return out


# -- checks (shared with the jax backend) -------------------------------------------------


def _dtype_of(x):
    return x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype


def _is_real(dtype) -> bool:
    if dtype == np.bool_:
        return True
    return np.issubdtype(dtype, np.number) and not np.issubdtype(dtype, np.complexfloating)


def check_shape(name, shape) -> tuple[int, int]:
    """``shape`` as a pair of non-negative ints, or a clear error."""
    try:
        pair = tuple(shape)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 0 for d in pair
    ):
        raise ValueError(
            f"{name}: shape must be a pair of non-negative ints (rows, columns), got {shape!r}"
        )
    return int(pair[0]), int(pair[1])


def check_csr_matvec(
    values_shape, values_dtype, indices, indptr, vector_shape, vector_dtype, shape, transpose
):
    """Shapes and dtypes of ``csr_matvec``'s arguments; returns ``(rows, cols)``."""
    name = "csr_matvec"
    rows, cols = check_shape(name, shape)
    if len(indptr.shape) != 1 or not np.issubdtype(indptr.dtype, np.integer):
        raise ValueError(
            f"{name}: indptr must be a 1-D integer array of shape[0] + 1 = {rows + 1} row "
            f"pointers, got shape {tuple(indptr.shape)} and dtype {indptr.dtype}"
        )
    if indptr.shape[0] != rows + 1:
        raise ValueError(
            f"{name}: indptr must have shape[0] + 1 = {rows + 1} entries (one row pointer per "
            f"row, plus the end), got {indptr.shape[0]}"
        )
    if len(indices.shape) != 1 or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(
            f"{name}: indices must be a 1-D integer array (the column of each stored entry), "
            f"got shape {tuple(indices.shape)} and dtype {indices.dtype}"
        )
    if len(values_shape) != 0 and tuple(values_shape) != tuple(indices.shape):
        raise ValueError(
            f"{name}: values must be a scalar (every entry the same) or one per stored entry, "
            f"shape {tuple(indices.shape)} (as indices), got {tuple(values_shape)}"
        )
    expected = rows if transpose else cols
    if tuple(vector_shape) != (expected,):
        side = "shape[0] (transpose=True)" if transpose else "shape[1]"
        raise ValueError(
            f"{name}: vector must be 1-D of length {side} = {expected}, "
            f"got shape {tuple(vector_shape)}"
        )
    for arg, dtype in (("values", values_dtype), ("vector", vector_dtype)):
        if not _is_real(dtype):
            raise TypeError(f"{name}: {arg} must be real numbers (or booleans), got dtype {dtype}")
    return rows, cols


# (id(indptr), id(indices), cols) -> weak refs to both: contents checked once
_CHECKED: dict = {}


def check_csr_contents(name, indptr, indices, cols) -> None:
    """Row pointers rising from 0 to nnz, column ids in ``[0, cols)`` (NumPy arrays;
    checked once per pair of arrays)."""
    key = (id(indptr), id(indices), cols)
    refs = _CHECKED.get(key)
    if refs is not None and refs[0]() is indptr and refs[1]() is indices:
        return
    if int(indptr[0]) != 0 or int(indptr[-1]) != indices.size or np.any(np.diff(indptr) < 0):
        raise ValueError(
            f"{name}: indptr must rise from 0 to the number of stored entries "
            f"({indices.size}), got {int(indptr[0])} .. {int(indptr[-1])}"
        )
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= cols):
        raise ValueError(
            f"{name}: indices must lie in [0, shape[1]={cols}), got {int(indices.min())} .. "
            f"{int(indices.max())}"
        )
    try:

        def forget(_, key=key):
            _CHECKED.pop(key, None)

        _CHECKED[key] = (weakref.ref(indptr, forget), weakref.ref(indices, forget))
    except TypeError:  # no weak references: checked every time
        pass


def result_dtype(values_dtype, vector_dtype) -> np.dtype:
    """NumPy's promotion of the two; booleans times booleans count (int64)."""
    dtype = np.result_type(values_dtype, vector_dtype)
    return np.dtype(np.int64) if dtype == np.bool_ else dtype


# -- csr_matvec ---------------------------------------------------------------------------


def csr_matvec(values, indices, indptr, vector, shape, transpose=False):
    """The product of a CSR sparse matrix and a dense vector: ``A @ vector``, or
    ``A.T @ vector`` with ``transpose=True``.

    Args:
        values: a scalar (every stored entry the same) or ``(nnz,)``, the entries in CSR
            order (per-synapse weights).
        indices: ``(nnz,)`` integers, the column of each entry (``conn.indices``).
        indptr: ``(shape[0] + 1,)`` integers, the row pointers (``conn.indptr``).
        vector: ``(shape[1],)``, or ``(shape[0],)`` with ``transpose=True``.
        shape: ``(rows, columns)`` of the matrix (``(pre_num, post_num)`` for a
            connectivity).
        transpose: multiply by the transposed matrix (presynaptic values to
            postsynaptic neurons: ``csr_matvec(w, conn.indices, conn.indptr, pre_values,
            (pre_num, post_num), transpose=True)``).

    Returns:
        ``(shape[0],)`` (``(shape[1],)`` transposed); the promoted dtype of ``values`` and
        ``vector``. Differentiable on the jax backend (values and vector).
    """
    values = np.asarray(values)
    indices = np.asarray(indices)
    indptr = np.asarray(indptr)
    vector = np.asarray(vector)
    rows, cols = check_csr_matvec(
        values.shape, values.dtype, indices, indptr, vector.shape, vector.dtype, shape, transpose
    )
    check_csr_contents("csr_matvec", indptr, indices, cols)
    dtype = result_dtype(values.dtype, vector.dtype)
    weights = values.astype(dtype, copy=False) if values.ndim else dtype.type(values)
    vector = vector.astype(dtype, copy=False)
    if transpose:
        out = _csr_columns(weights, indices, indptr, vector, np.zeros(cols, dtype))
    else:
        out = _csr_rows(weights, indices, indptr, vector, np.zeros(rows, dtype))
    return to_ndarray(out)


csrmv = csr_matvec


def _nb_dtype(t):
    if isinstance(t, nbtypes.Array):
        return numba.np.numpy_support.as_dtype(t.dtype)
    return numba.np.numpy_support.as_dtype(t)


@overload(csr_matvec, jit_options=_numba.INNER)
def _csr_matvec_numba(values, indices, indptr, vector, shape, transpose=False):
    if not isinstance(vector, nbtypes.Array) or vector.ndim != 1:
        raise TypingError("csr_matvec: vector must be a 1-D array")
    hetero = isinstance(values, nbtypes.Array)
    if not hetero and not isinstance(values, (nbtypes.Number, nbtypes.Boolean)):
        raise TypingError("csr_matvec: values must be a number or a 1-D array (one per entry)")
    dtype = result_dtype(_nb_dtype(values), _nb_dtype(vector))
    if hetero and _nb_dtype(values) == dtype:
        cast = numba.njit(lambda values: values)
    elif hetero:
        cast = numba.njit(lambda values: values.astype(dtype))
    else:
        scalar = numba.from_dtype(dtype)
        cast = numba.njit(lambda values: scalar(values))
    if _nb_dtype(vector) == dtype:
        cast_vector = numba.njit(lambda vector: vector)
    else:
        cast_vector = numba.njit(lambda vector: vector.astype(dtype))

    def impl(values, indices, indptr, vector, shape, transpose=False):
        rows, cols = shape[0], shape[1]
        if indptr.shape[0] != rows + 1:
            raise ValueError("csr_matvec: indptr must have shape[0] + 1 entries")
        w = cast(values)
        v = cast_vector(vector)
        if transpose:
            if v.shape[0] != rows:
                raise ValueError("csr_matvec: vector must have length shape[0] (transpose=True)")
            return _csr_columns(w, indices, indptr, v, np.zeros(cols, dtype))
        if v.shape[0] != cols:
            raise ValueError("csr_matvec: vector must have length shape[1]")
        return _csr_rows(w, indices, indptr, v, np.zeros(rows, dtype))

    return impl


# -- sparse_matmul ------------------------------------------------------------------------


def unpack_coo(name, sparse):
    """``(data, rows, cols, (n, m))`` from BrainPy's sparse dict, or a clear error."""
    if not isinstance(sparse, dict) or not {"data", "index", "shape"} <= set(sparse):
        raise ValueError(
            f"{name}: a sparse matrix is a dict {{'data': values, 'index': (rows, cols), "
            f"'shape': (n, m)}}, got {type(sparse).__name__}"
            + (f" with keys {sorted(sparse)}" if isinstance(sparse, dict) else "")
        )
    index = sparse["index"]
    if not isinstance(index, (tuple, list)) or len(index) != 2:
        raise ValueError(f"{name}: sparse['index'] must be a pair (rows, cols) of integer arrays")
    return sparse["data"], index[0], index[1], check_shape(name, sparse["shape"])


def check_coo(name, data_shape, rows, cols, shape):
    for label, ids in (("rows", rows), ("cols", cols)):
        if len(ids.shape) != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(
                f"{name}: sparse['index'] {label} must be a 1-D integer array, got shape "
                f"{tuple(ids.shape)} and dtype {ids.dtype}"
            )
    if rows.shape != cols.shape:
        raise ValueError(
            f"{name}: sparse['index'] rows and cols must have the same length (one pair per "
            f"entry), got {rows.shape[0]} and {cols.shape[0]}"
        )
    if len(data_shape) != 0 and tuple(data_shape) != tuple(rows.shape):
        raise ValueError(
            f"{name}: sparse['data'] must be a scalar or one value per entry, shape "
            f"{tuple(rows.shape)}, got {tuple(data_shape)}"
        )


def check_dense(name, dense_shape, length, left: bool):
    if len(dense_shape) not in (1, 2):
        raise ValueError(
            f"{name}: the dense operand must be 1-D or 2-D, got shape {tuple(dense_shape)}"
        )
    inner = dense_shape[0] if left else dense_shape[-1]
    if inner != length:
        side = "rows" if left else "columns (last axis)"
        raise ValueError(
            f"{name}: shapes do not match: the dense operand's {side} must number {length}, "
            f"got shape {tuple(dense_shape)}"
        )


def _split(A, B):
    """``(sparse dict, dense, sparse_on_the_left)``."""
    if isinstance(A, dict) and isinstance(B, dict):
        raise ValueError("sparse_matmul: A and B cannot both be sparse (one must be a dense array)")
    if not isinstance(A, dict) and not isinstance(B, dict):
        raise ValueError(
            "sparse_matmul: one of A and B must be a sparse dict {'data', 'index': (rows, cols), "
            "'shape'}; for two dense arrays use bp.math.matmul"
        )
    return (A, B, True) if isinstance(A, dict) else (B, A, False)


def sparse_matmul(A, B):
    """``A @ B`` where one of ``A`` and ``B`` is a sparse COO matrix (BrainPy 2.x).

    Args:
        A: a sparse matrix ``{'data': values, 'index': (rows, cols), 'shape': (n, m)}``
            (``data``: one value per entry, or a scalar), or a dense ``(m,)`` / ``(k, n)``
            array when ``B`` is the sparse one.
        B: a dense ``(m,)`` / ``(m, k)`` array, or the sparse matrix.

    Returns:
        ``(n,)`` / ``(n, k)`` (sparse on the left) or ``(m,)`` / ``(k, m)`` (sparse on the
        right). Entries at the same position add up. Runs eagerly on the numpy backend
        (in compiled code use ``csr_matvec``).
    """
    sparse, dense, left = _split(A, B)
    data, rows, cols, (n, m) = unpack_coo("sparse_matmul", sparse)
    data, rows, cols, dense = (np.asarray(x) for x in (data, rows, cols, dense))
    check_coo("sparse_matmul", data.shape, rows, cols, (n, m))
    check_dense("sparse_matmul", dense.shape, m if left else n, left)
    for label, ids, bound in (("rows", rows, n), ("cols", cols, m)):
        if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= bound):
            raise ValueError(
                f"sparse_matmul: sparse['index'] {label} must lie in [0, {bound}), got "
                f"{int(ids.min())} .. {int(ids.max())}"
            )
    dtype = result_dtype(data.dtype, dense.dtype)
    weights = data.astype(dtype, copy=False) if data.ndim else dtype.type(data)
    if left:
        matrix = dense.reshape(dense.shape[0], int(np.prod(dense.shape[1:], dtype=np.int64)))
    else:
        matrix = dense.reshape(int(np.prod(dense.shape[:-1], dtype=np.int64)), dense.shape[-1]).T
    matrix = np.ascontiguousarray(matrix, dtype=dtype)
    if left:
        out = _coo_rows(weights, rows, cols, matrix, np.zeros((n, matrix.shape[1]), dtype))
        return to_ndarray(out.reshape((n,) + dense.shape[1:]))
    out = _coo_rows(weights, cols, rows, matrix, np.zeros((m, matrix.shape[1]), dtype))
    return to_ndarray(out.T.reshape(dense.shape[:-1] + (m,)).copy())


@overload(sparse_matmul, jit_options=_numba.INNER)
def _sparse_matmul_numba(A, B):
    raise TypingError(
        "sparse_matmul takes a dict, which compiled (Numba) code cannot: call it outside "
        "bp.math.jit, or use bp.math.csr_matvec (CSR) or bp.math.segment_sum of the "
        "products in compiled code"
    )
