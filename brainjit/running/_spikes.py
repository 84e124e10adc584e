"""Boolean monitors (spikes) on the host: every step's record becomes sparse events and
records OR-accumulated over ``monitor_every`` steps.

The Runner's compiled loop writes a boolean monitor at EVERY step, whatever
``monitor_every``, into a buffer of one chunk of steps: on the numpy backend as bits
(``bp.math.packbits``: N / 8 bytes per step), on the jax backend as booleans (N bytes;
XLA's ``packbits`` in the loop is slower on the CPU than packing on the host). After
each chunk, :class:`SpikeRecorder` turns those rows into

- the chunk's spike events, ``(step, neuron id)`` pairs in time order (within a step,
  ascending ids), found with a scan over 64-bit words: spikes are sparse, so almost
  every word is zero and only the few others are looked at byte by byte;
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

import numpy as np

__all__ = ["SpikeRecorder", "nonzero_bytes"]


def nonzero_bytes(flat: np.ndarray) -> np.ndarray:
    """The positions (ascending, int64) of the nonzero bytes of a 1-D uint8 array.

    Scans 8 bytes at a time (a view as 64-bit words) and looks at the bytes of the
    nonzero words only: several times faster than ``np.flatnonzero`` of the bytes
    when they are mostly zero, as spike records are.
    """
    words = flat.size // 8
    head = flat[: words * 8]
    found = np.flatnonzero(head.view(np.uint64))
    if found.size:
        rows, cols = np.nonzero(head.reshape(words, 8)[found])
        found = found[rows] * 8 + cols
    tail = np.flatnonzero(flat[words * 8 :])
    if tail.size:
        found = np.concatenate([found, tail + words * 8])
    return found.astype(np.int64, copy=False)


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
        self.first = first
        self._done = 0  # steps of the run taken so far
        self._carry = carry[0] if carry is not None and carry[1] == first else None
        self._steps: list[np.ndarray] = []
        self._ids: list[np.ndarray] = []

    # -- per chunk -------------------------------------------------------------------------
    def add(self, rows: np.ndarray, k0: int) -> np.ndarray:
        """Take the rows of steps ``k0, k0 + 1, ...`` of the run (one per step); return the
        packed records of the record steps among them."""
        rows = np.ascontiguousarray(rows).reshape(len(rows), -1)
        self._add_events(rows, k0)
        records = self._or_windows(rows, k0)
        self._done = k0 + len(rows)
        if not self.packed:
            records = np.packbits(records, axis=1)
        return records

    def _add_events(self, rows: np.ndarray, k0: int) -> None:
        flat = rows.reshape(-1).view(np.uint8)
        where = nonzero_bytes(flat)
        if self.packed:  # bytes of bits -> the bits (np.packbits' order: first bit high)
            width = rows.shape[1]
            bits = np.unpackbits(flat[where][:, None], axis=1)
            which, bit = np.nonzero(bits)
            where = where[which]
            steps, pos = np.divmod(where, width)
            pos = pos * 8 + bit
        else:
            steps, pos = np.divmod(where, self.size)
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
        """The OR of each record's window among ``rows``; updates the carry."""
        every = self.every
        if every == 1 and self._carry is None:
            return rows
        at = np.arange((-k0) % every, len(rows), every)  # the record steps in this chunk
        if at.size == 0:
            tail = np.bitwise_or.reduce(rows, axis=0)
            self._carry = tail if self._carry is None else self._carry | tail
            return rows[:0]
        starts = np.concatenate(([0], at[:-1] + 1))
        has_tail = at[-1] + 1 < len(rows)
        if has_tail:
            starts = np.append(starts, at[-1] + 1)
        windows = np.bitwise_or.reduceat(rows, starts, axis=0)
        records = windows[: at.size]
        if self._carry is not None:
            records[0] |= self._carry
        self._carry = windows[-1] if has_tail else None
        return records

    @property
    def carry(self) -> tuple | None:
        """``(OR of the steps after the last record, the step it continues at)`` (steps
        counted from the model's time 0), or None if every step taken is in a record."""
        if self._carry is None:
            return None
        return self._carry, self.first + self._done

    # -- at the end ------------------------------------------------------------------------
    def events(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps of the run, neuron ids) of every spike so far, int64 arrays."""
        if not self._steps:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        steps = np.concatenate(self._steps)
        ids = np.concatenate(self._ids)
        self._steps, self._ids = [steps], [ids]
        return steps, ids
