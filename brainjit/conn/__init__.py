"""``bp.conn``: connectivity builders, stored as CSR by presynaptic neuron.

>>> conn = bp.conn.FixedProb(0.02, seed=42)(4000, 4000)
>>> conn.indptr, conn.indices          # the targets of pre i: indices[indptr[i]:indptr[i+1]]
>>> conn.pre_ids, conn.post_ids        # one entry per synapse

Builders: :class:`All2All`, :class:`One2One`, :class:`FixedProb`, :class:`FixedPreNum`,
:class:`FixedPostNum`, :class:`IJConn` (explicit pre/post id arrays), :class:`MatConn`
(a dense boolean matrix). See ``docs/connectivity.md``.
"""

from brainjit.conn.base import Connector
from brainjit.conn.builders import (
    All2All,
    FixedPostNum,
    FixedPreNum,
    FixedProb,
    IJConn,
    MatConn,
    One2One,
)

__all__ = [
    "Connector",
    "All2All",
    "One2One",
    "FixedProb",
    "FixedPreNum",
    "FixedPostNum",
    "IJConn",
    "MatConn",
]
