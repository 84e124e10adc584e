"""PyNN's standard synapse types, run as brainjit synapse groups (one per delay):
``StaticSynapse`` (:class:`~brainjit.pynn._models.StaticGroup`),
``TsodyksMarkramSynapse``, ``SimpleStochasticSynapse`` and ``STDPMechanism`` with
``SpikePairRule`` and ``AdditiveWeightDependence`` / ``MultiplicativeWeightDependence``
(the groups of :mod:`brainjit.pynn._plastic`, where their equations are)."""

import numpy as np
from pyNN.standardmodels import ModelNotAvailable, synapses

from brainjit.pynn import _models, _plastic, simulator
from brainjit.pynn._groups import DelayGroups
from brainjit.pynn.standardmodels import identity_translations

__all__ = [
    "StaticSynapse",
    "TsodyksMarkramSynapse",
    "STDPMechanism",
    "SpikePairRule",
    "AdditiveWeightDependence",
    "MultiplicativeWeightDependence",
    "SimpleStochasticSynapse",
    "StochasticTsodyksMarkramSynapse",
    "MultiQuantalSynapse",
    "AdditivePotentiationMultiplicativeDepression",
    "GutigWeightDependence",
    "Vogels2011Rule",
]


class _SynapseType:
    """What the synapse types share: the default delay, and the groups of a projection."""

    #: the attributes that live in the groups' Variables (changed by a run)
    dynamic = ("weight",)

    def _get_minimum_delay(self):
        """The default delay (a synapse made without one): ``setup()``'s ``min_delay``."""
        return simulator.state.min_delay

    def brainjit_groups(self, projection, pre_model, post_model, pre, post, attrs):
        """The projection's synapses: a group per delay, made by ``self._make_group``."""
        dt = simulator.state.dt
        receptor = projection.receptor_type
        params = self._uniform_parameters(attrs)

        def make(indptr, indices, group_attrs, steps):
            return self._make_group(
                pre_model, post_model, indptr, indices, group_attrs, steps, receptor, dt, params
            )

        return DelayGroups(make, pre, post, attrs, pre_model.num, dynamic=self.dynamic)

    #: the parameters that must be one number for the whole projection
    uniform = ()

    def _uniform_parameters(self, attrs) -> dict:
        """``{name: value}`` of the parameters in ``uniform``: a clear error unless each
        has one value over the projection's connections."""
        out = {}
        for name in self.uniform:
            values = np.unique(np.asarray(attrs[name], dtype=float))
            if values.size > 1:
                raise NotImplementedError(
                    f"brainjit.pynn: {type(self).__name__} needs one value of {name!r} for "
                    f"all connections of a projection, got {values.size} different values "
                    f"({values.min()} .. {values.max()}); make one projection per value"
                )
            out[name] = float(values[0]) if values.size else float("nan")
        return out

    def _make_group(self, pre, post, indptr, indices, attrs, steps, receptor, dt, params):
        """The group of the synapses with delay ``steps``: ``attrs`` their attributes
        (CSR order), ``params`` the values of ``uniform``."""
        raise NotImplementedError


class StaticSynapse(_SynapseType, synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = identity_translations(synapses.StaticSynapse)

    def _make_group(self, pre, post, indptr, indices, attrs, steps, receptor, dt, params):
        return _models.StaticGroup(pre, post, indptr, indices, attrs["weight"], steps, receptor, dt)


class TsodyksMarkramSynapse(_SynapseType, synapses.TsodyksMarkramSynapse):
    __doc__ = (
        (synapses.TsodyksMarkramSynapse.__doc__ or "")
        + """
    brainjit.pynn: NEST's ``tsodyks_synapse`` as pyNN.nest maps it (the decay of the
    active resources is the postsynaptic cell's ``tau_syn_E``/``tau_syn_I``); ``U``,
    ``tau_rec`` and ``tau_facil`` may differ between connections. See
    :mod:`brainjit.pynn._plastic`.
    """
    )
    translations = identity_translations(synapses.TsodyksMarkramSynapse)

    def _make_group(self, pre, post, indptr, indices, attrs, steps, receptor, dt, params):
        return _plastic.TsodyksMarkramGroup(
            pre, post, indptr, indices, attrs["weight"], steps, receptor, dt,
            attrs["U"], attrs["tau_rec"], attrs["tau_facil"],
        )  # fmt: skip


class SimpleStochasticSynapse(_SynapseType, synapses.SimpleStochasticSynapse):
    __doc__ = synapses.SimpleStochasticSynapse.__doc__
    translations = identity_translations(synapses.SimpleStochasticSynapse)

    def _make_group(self, pre, post, indptr, indices, attrs, steps, receptor, dt, params):
        return _plastic.StochasticGroup(
            pre, post, indptr, indices, attrs["weight"], attrs["p"], steps, receptor, dt
        )


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = identity_translations(synapses.SpikePairRule)


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    translations = identity_translations(synapses.AdditiveWeightDependence)
    brainjit_name = "additive"


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = identity_translations(synapses.MultiplicativeWeightDependence)
    brainjit_name = "multiplicative"


class STDPMechanism(_SynapseType, synapses.STDPMechanism):
    __doc__ = (
        (synapses.STDPMechanism.__doc__ or "")
        + """
    brainjit.pynn: ``SpikePairRule`` (all-to-all pairs) with ``AdditiveWeightDependence``
    or ``MultiplicativeWeightDependence``; every delay dendritic
    (``dendritic_delay_fraction=1``, the default); the rule's parameters are one number
    per projection. See :mod:`brainjit.pynn._plastic` for the equations.
    """
    )
    base_translations = identity_translations(synapses.StaticSynapse, "dendritic_delay_fraction")
    uniform = ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max")

    def __init__(
        self,
        timing_dependence=None,
        weight_dependence=None,
        voltage_dependence=None,
        dendritic_delay_fraction=1.0,
        weight=0.0,
        delay=None,
    ):
        if not isinstance(timing_dependence, SpikePairRule):
            raise NotImplementedError(
                f"brainjit.pynn: STDPMechanism supports timing_dependence=SpikePairRule(...) "
                f"only, got {type(timing_dependence).__name__}"
            )
        if not isinstance(weight_dependence, (AdditiveWeightDependence,
                                              MultiplicativeWeightDependence)):  # fmt: skip
            raise NotImplementedError(
                f"brainjit.pynn: STDPMechanism supports weight_dependence="
                f"AdditiveWeightDependence(...) or MultiplicativeWeightDependence(...) only, "
                f"got {type(weight_dependence).__name__}"
            )
        if voltage_dependence is not None:
            raise NotImplementedError("brainjit.pynn: STDPMechanism has no voltage_dependence")
        if dendritic_delay_fraction != 1:
            raise NotImplementedError(
                f"brainjit.pynn: STDPMechanism supports dendritic_delay_fraction=1 only (the "
                f"whole delay dendritic: PyNN's default, and the only value NEST supports), "
                f"got {dendritic_delay_fraction}; leave it out"
            )
        super().__init__(
            timing_dependence, weight_dependence, voltage_dependence,
            dendritic_delay_fraction, weight, delay,
        )  # fmt: skip

    def _build_translations(self):
        """PyNN's, on a copy (PyNN's own updates the class's dict in place)."""
        self.translations = dict(self.base_translations)
        for component in (self.timing_dependence, self.weight_dependence):
            self.translations.update(component.translations)

    def _make_group(self, pre, post, indptr, indices, attrs, steps, receptor, dt, params):
        weight = np.asarray(attrs["weight"], dtype=float)
        if weight.size and (weight.min() < params["w_min"] or weight.max() > params["w_max"]):
            raise ValueError(
                f"brainjit.pynn: the initial weights of an STDPMechanism must lie in "
                f"[w_min, w_max] = [{params['w_min']}, {params['w_max']}], got "
                f"{weight.min()} .. {weight.max()}"
            )
        return _plastic.STDPGroup(
            pre, post, indptr, indices, weight, steps, receptor, dt,
            weight_dependence=self.weight_dependence.brainjit_name, **params,
        )  # fmt: skip


class _NotAvailable(ModelNotAvailable):
    """A PyNN synapse type or STDP component that ``brainjit.pynn`` does not run (yet):
    making one raises NotImplementedError."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            f"brainjit.pynn does not run {type(self).__name__} (yet); its synapse types are "
            f"StaticSynapse, TsodyksMarkramSynapse, SimpleStochasticSynapse and STDPMechanism "
            f"with SpikePairRule and AdditiveWeightDependence or MultiplicativeWeightDependence"
        )


class StochasticTsodyksMarkramSynapse(_NotAvailable):
    pass


class MultiQuantalSynapse(_NotAvailable):
    pass


class AdditivePotentiationMultiplicativeDepression(_NotAvailable):
    pass


class GutigWeightDependence(_NotAvailable):
    pass


class Vogels2011Rule(_NotAvailable):
    pass
