"""``runner.mon``: the records of a run, as NumPy arrays with the time axis first.

Boolean records (spikes) are kept packed, 8 per byte, and unpacked on first access;
every spike of a boolean monitor is also kept as events (``mon.spike_events``), whatever
``monitor_every`` (see :mod:`brainjit.running._spikes`).
"""

from __future__ import annotations

import math

import numpy as np

from brainjit.running import _spikes

__all__ = ["Monitors", "keep_records"]


class Monitors(dict):
    """The recorded values of the last run: ``mon['E.spike']`` is a NumPy array with
    the time axis first; ``mon.ts`` (also ``mon['ts']``) the times of the records
    (the ``t`` given to ``update`` at each recorded step, in ms).

    Boolean records (spikes) are kept as bits during the run, 8 per byte
    (``np.packbits``; on the numpy backend packed by the compiled loop itself): a run
    of N neurons records N / 8 bytes per step instead of N.
    ``mon['E.spike']`` is the boolean array, unpacked on first access (then kept);
    ``mon.bits('E.spike')`` gives the packed bits without unpacking.

    No spike is lost, whatever ``monitor_every``: ``mon.spike_events('E.spike')`` gives
    every spike of the run as ``(times, indices)``, and with ``monitor_every = k > 1`` a
    boolean record says whether the neuron spiked in ANY step since the previous record:
    the record at step ``s`` of the run (``s = 0, k, 2k, ...``, at time ``mon.ts``)
    covers steps ``s - k + 1`` to ``s``. The first record of a Runner's first run covers
    its first step only; the first record of a later run covers the steps after the
    last record of the run before (at most ``k - 1`` of them) and its own first step, so
    the records of successive runs together cover every step exactly once (steps after
    the last record of the last run are in no record yet; their spikes are in
    ``spike_events``).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ts = np.zeros(0)
        self._packed: dict[str, tuple[np.ndarray, tuple]] = {}
        self._spikes: dict[str, _spikes.SpikeRecorder] = {}
        self._step_time = None  # step of the run -> its time (ms), as mon.ts

    def spike_events(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Every spike of the boolean monitor ``name`` in the run, whatever
        ``monitor_every``, like Brian2's ``SpikeMonitor.t`` / ``.i``.

        Returns:
            ``(times, indices)``: ``times`` (float64, ms) is the ``t`` of the step in which
            the spike was set (the same convention as ``mon.ts``), in time order;
            ``indices`` (int64) the neuron ids, ascending within a step. With a selection
            (``(path, indices)`` monitors) they are the ids of the Variable, not positions
            in the selection, and a neuron selected twice gives each of its spikes once.
            For a Variable of more than one axis an index is a position in the flattened
            Variable (``np.ravel`` order).

        Raises:
            KeyError: no monitor of that name.
            TypeError: the monitor does not record booleans.
        """
        recorder = self._spikes.get(name)
        if recorder is None:
            if name not in self:
                raise KeyError(f"no monitor named {name!r}; monitors: {sorted(self)}")
            if name in self._packed or self[name].dtype == bool:
                raise ValueError(f"spike_events: no spike events were recorded for {name!r}")
            raise TypeError(
                f"spike_events: the monitor {name!r} records {self[name].dtype} values, "
                f"not spikes: spike_events needs a boolean monitor (e.g. 'E.spike'); "
                f"boolean monitors: {sorted(self._spikes) or '(none)'}. (A neuron group "
                "with a surrogate spike function, spike_fun=, has float spikes: "
                f"np.nonzero(mon[{name!r}]) gives their steps and neuron ids.)"
            )
        steps, ids = recorder.events(lambda: self.bits(name))
        return self._step_time(steps), ids

    def _set_bits(self, name: str, bits: np.ndarray, record_shape: tuple) -> None:
        """Record ``name`` as ``bits`` (records, bytes) of ``record_shape`` booleans each."""
        self._packed[name] = (bits, tuple(record_shape))

    def bits(self, name: str) -> np.ndarray:
        """The records of the boolean monitor ``name``, packed (``np.packbits`` of each
        record flattened, along the last axis): ``np.unpackbits(bits, axis=1,
        count=n)`` gives them back."""
        if name in self._packed:
            return self._packed[name][0]
        if dict.__contains__(self, name) and self[name].dtype == bool:
            records = self[name]
            return np.packbits(records.reshape(len(records), -1), axis=1)
        raise KeyError(f"no boolean monitor named {name!r}; monitors: {sorted(self)}")

    def _unpack(self, name: str) -> np.ndarray:
        bits, shape = self._packed.pop(name)
        flat = np.unpackbits(bits, axis=1, count=math.prod(shape)).view(bool)
        records = flat.reshape((len(bits),) + shape)
        dict.__setitem__(self, name, records)
        return records

    def _unpack_all(self) -> None:
        for name in list(self._packed):
            self._unpack(name)

    def __missing__(self, key):
        if key in self._packed:
            return self._unpack(key)
        if key == "ts":
            return self.ts
        raise KeyError(f"no monitor named {key!r}; monitors: {sorted(self)}")

    # the packed records count as entries; whole-dict views unpack them first
    def __contains__(self, key) -> bool:
        return key in self._packed or dict.__contains__(self, key)

    def __iter__(self):
        yield from dict.__iter__(self)
        yield from list(self._packed)

    def __len__(self) -> int:
        return dict.__len__(self) + len(self._packed)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def keys(self):
        self._unpack_all()
        return dict.keys(self)

    def values(self):
        self._unpack_all()
        return dict.values(self)

    def items(self):
        self._unpack_all()
        return dict.items(self)

    def __eq__(self, other) -> bool:
        self._unpack_all()
        return dict.__eq__(self, other)

    def __repr__(self) -> str:
        self._unpack_all()
        return dict.__repr__(self)


def keep_records(mon: Monitors, records: int) -> None:
    """Cut ``mon`` to its first ``records`` records (after an interrupted run: those of
    the steps the model's state holds)."""
    for name, (bits, shape) in list(mon._packed.items()):
        mon._packed[name] = (bits[:records], shape)
    for name in list(dict.keys(mon)):
        dict.__setitem__(mon, name, dict.__getitem__(mon, name)[:records])
    mon.ts = mon.ts[:records]
