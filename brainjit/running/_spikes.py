"""Boolean monitors (spikes) on the host: every step's record becomes sparse events and
records OR-accumulated over ``monitor_every`` steps.

The Runner's compiled loop writes a boolean monitor at EVERY step, whatever
``monitor_every``, into a buffer of one chunk of steps: on the numpy backend as bits
(``bp.math.packbits``: N / 8 bytes per step), on the jax backend as booleans (N bytes;
XLA's ``packbits`` in the loop is slower on the CPU than packing on the host, which
``np.packbits`` does first). After each chunk, :class:`SpikeRecorder` turns those rows
of bits into

- the chunk's spike events, ``(step, neuron id)`` pairs in time order (within a step,
  ascending ids), found by a Numba loop over 64-bit words (:func:`set_bits`): spikes
  are sparse, so most words are zero and only the bytes of the others are looked at;
- the chunk's records (packed bits, 8 per byte): with ``monitor_every = k``, the record
  at step ``s`` (``s = 0, k, 2k, ...`` of the run) is the OR of the steps after the
  previous record up to ``s`` included. Windows that straddle chunks or runs are
  completed through a carry (the OR of the steps after the last record so far), so the
  records of successive runs together cover every step exactly once; only the steps
  after the last record of the last run are in no record (yet).

Measured in ``benchmarks/spike_events.py`` (``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["SpikeRecorder", "set_bits"]


@numba.njit(inline="always")
def _emit(byte, at, width, steps, pos, c):
    """The set bits of ``byte`` (the ``at``-th of the flat rows of ``width`` bytes) as
    (row, position) pairs from ``c`` on; returns the new ``c``."""
    row = at // width
    first = (at - row * width) * 8
    for bit in range(8):
        if byte & (128 >> bit):  # np.packbits' order: the first element in the high bit
            steps[c] = row
            pos[c] = first + bit
            c += 1
    return c


@numba.njit(cache=True, nogil=True)
def _set_bits(flat, width):
    words = flat.size // 8
    w64 = flat[: words * 8].view(np.uint64)
    count = 0  # first pass: how many (mostly zero words: one test per 64 elements)
    for i in range(words):
        w = w64[i]
        while w:
            count += 1
            w &= w - np.uint64(1)
    for at in range(words * 8, flat.size):
        byte = flat[at]
        while byte:
            count += 1
            byte &= byte - 1
    steps = np.empty(count, np.int64)
    pos = np.empty(count, np.int64)
    c = 0
    for i in range(words):
        if w64[i] != 0:
            for j in range(8):
                byte = flat[i * 8 + j]
                if byte != 0:
                    c = _emit(byte, i * 8 + j, width, steps, pos, c)
    for at in range(words * 8, flat.size):
        byte = flat[at]
        if byte != 0:
            c = _emit(byte, at, width, steps, pos, c)
    return steps, pos


def set_bits(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero(np.unpackbits(rows, axis=1))`` without unpacking: the (row, position)
    of every set bit of the packed ``rows`` (uint8, rows of bytes), in row order and
    ascending positions within a row, as int64 arrays.

    A Numba loop over 64-bit words: spikes are sparse, so most words are zero and only
    the bytes of the others are looked at (about 10x faster than ``np.flatnonzero`` of
    the unpacked bits, and no N-bytes-per-step temporary).
    """
    rows = np.ascontiguousarray(rows, dtype=np.uint8)
    return _set_bits(rows.reshape(-1), max(rows.shape[1], 1))


def _or_over_axis1(block: np.ndarray) -> np.ndarray:
    """The bitwise OR of a (records, k, bytes) uint8 block over its middle axis (8 bytes
    at a time where the rows allow)."""
    if block.shape[2] % 8 == 0:
        return np.bitwise_or.reduce(block.view(np.uint64), axis=1).view(np.uint8)
    return np.bitwise_or.reduce(block, axis=1)


class SpikeRecorder:
    """One boolean monitor during one run: chunks of per-step rows in, events and
    OR-accumulated packed records out.

    Args:
        var_shape: the monitored Variable's shape.
        indices: the monitor's selection along the first axis (None: all of it).
        packed: whether the rows are bits (``np.packbits`` of each step's flattened
            record, numpy backend) or booleans (jax backend).
        every: ``monitor_every``.
        first: the run's first step, counted from the model's time 0.
        carry: :attr:`carry` at the end of the previous run, or None: used if this run
            starts where that one ended (not after ``reset_state()``, say).
    """

    def __init__(self, var_shape, indices, packed: bool, every: int, first: int, carry=None):
        shape = tuple(var_shape)
        self.inner = math.prod(shape[1:]) if shape else 1  # elements per index
        if indices is None:
            self.size = math.prod(shape)
            self.ids, self.unique, self.sorted = None, None, True
        else:
            self.size = len(indices) * self.inner
            self.ids = np.asarray(indices, dtype=np.int64)
            first = np.zeros(len(indices), bool)  # a repeated index: its first column
            first[np.unique(self.ids, return_index=True)[1]] = True
            self.unique = None if first.all() else first
            self.sorted = bool(np.all(np.diff(self.ids) > 0))
        self.packed = packed
        self.every = every
        set_bits(np.zeros((1, 8), np.uint8))  # compiled (or loaded) before the run starts
        self.first = first
        self._done = 0  # steps of the run taken so far
        self._carry = carry[0] if carry is not None and carry[1] == first else None
        self._steps: list[np.ndarray] = []
        self._ids: list[np.ndarray] = []
        # monitor_every = 1: every step's bits are the records themselves, so the events
        # are found in them when first asked for (no work per chunk; a run that never
        # asks for its events pays nothing)
        self.lazy = every == 1 and self._carry is None

    # -- per chunk -------------------------------------------------------------------------
    def add(self, rows: np.ndarray, k0: int) -> np.ndarray:
        """Take the rows of steps ``k0, k0 + 1, ...`` of the run (one per step); return the
        packed records of the record steps among them."""
        rows = np.asarray(rows).reshape(len(rows), -1)
        if not self.packed:  # booleans (jax backend): 8 per byte first, all the rest on bits
            rows = np.packbits(rows, axis=1)
        if not self.lazy:
            self._add_events(rows, k0)
        records = self._or_windows(rows, k0)
        self._done = k0 + len(rows)
        return records

    def _add_events(self, rows: np.ndarray, k0: int) -> None:
        steps, pos = set_bits(rows)
        ids = pos
        if self.ids is not None:
            row, rest = np.divmod(pos, self.inner)
            if self.unique is not None:
                keep = self.unique[row]
                steps, row, rest = steps[keep], row[keep], rest[keep]
            ids = self.ids[row] * self.inner + rest
            if not self.sorted:
                order = np.lexsort((ids, steps))
                steps, ids = steps[order], ids[order]
        self._steps.append(steps + k0)
        self._ids.append(ids)

    def _or_windows(self, rows: np.ndarray, k0: int) -> np.ndarray:
        """The OR of each record's window among the packed ``rows``; updates the carry.

        The record steps among the rows are ``at, at + k, ...``: the first record takes
        the carry and rows ``0 .. at``, each next one the ``k`` rows after the previous
        record, and the rows after the last record are the new carry."""
        every = self.every
        if every == 1 and self._carry is None:
            return rows
        at = (-k0) % every  # the first record step among the rows
        if at >= len(rows):
            tail = np.bitwise_or.reduce(rows, axis=0)
            self._carry = tail if self._carry is None else self._carry | tail
            return rows[:0]
        count = 1 + (len(rows) - 1 - at) // every
        records = np.empty((count,) + rows.shape[1:], np.uint8)
        records[0] = np.bitwise_or.reduce(rows[: at + 1], axis=0)
        if self._carry is not None:
            records[0] |= self._carry
        end = at + 1 + (count - 1) * every
        if count > 1:
            block = rows[at + 1 : end].reshape(count - 1, every, rows.shape[1])
            records[1:] = _or_over_axis1(block)
        self._carry = np.bitwise_or.reduce(rows[end:], axis=0) if end < len(rows) else None
        return records

    @property
    def carry(self) -> tuple | None:
        """``(OR of the steps after the last record, the step it continues at)`` (steps
        counted from the model's time 0), or None if every step taken is in a record."""
        if self._carry is None:
            return None
        return self._carry, self.first + self._done

    # -- at the end ------------------------------------------------------------------------
    def events(self, records=None) -> tuple[np.ndarray, np.ndarray]:
        """(steps of the run, neuron ids) of every spike so far, int64 arrays.

        Args:
            records: with ``monitor_every = 1`` (:attr:`lazy`), a function that returns
                the run's packed records (one per step of the run), where the events
                are found on the first call.
        """
        if self.lazy:
            if records is None:
                raise ValueError("SpikeRecorder.events: the records of the run are needed")
            self._add_events(np.asarray(records()), 0)
            self.lazy = False
        if not self._steps:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        steps = np.concatenate(self._steps)
        ids = np.concatenate(self._ids)
        self._steps, self._ids = [steps], [ids]
        return steps, ids
