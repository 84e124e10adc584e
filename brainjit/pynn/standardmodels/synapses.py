"""PyNN's standard synapse types, run as brainjit synapse groups (one per delay)."""

from pyNN.standardmodels import synapses

from brainjit.pynn import _models, simulator
from brainjit.pynn._groups import DelayGroups
from brainjit.pynn.standardmodels import identity_translations

__all__ = ["StaticSynapse"]


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = identity_translations(synapses.StaticSynapse)

    def _get_minimum_delay(self):
        """The default delay (a synapse made without one): ``setup()``'s ``min_delay``."""
        return simulator.state.min_delay

    def brainjit_groups(self, projection, pre_model, post_model, pre, post, attrs):
        """The projection's synapses: a :class:`~brainjit.pynn._models.StaticGroup` per
        delay."""
        dt = simulator.state.dt
        receptor = projection.receptor_type

        def make(indptr, indices, group_attrs, steps):
            return _models.StaticGroup(
                pre_model, post_model, indptr, indices, group_attrs["weight"], steps, receptor, dt
            )

        return DelayGroups(make, pre, post, attrs, pre_model.num)
