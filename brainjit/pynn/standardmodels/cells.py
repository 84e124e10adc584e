"""PyNN's standard cell types, run by the models of :mod:`brainjit.pynn._models`."""

from pyNN.standardmodels import cells

from brainjit.pynn import _models
from brainjit.pynn.standardmodels import identity_translations

__all__ = ["IF_curr_exp", "IF_cond_exp", "SpikeSourcePoisson", "SpikeSourceArray"]


class IF_curr_exp(cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    translations = identity_translations(cells.IF_curr_exp)
    brainjit_model = _models.IFCurrExp


class IF_cond_exp(cells.IF_cond_exp):
    __doc__ = cells.IF_cond_exp.__doc__
    translations = identity_translations(cells.IF_cond_exp)
    brainjit_model = _models.IFCondExp


class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = identity_translations(cells.SpikeSourcePoisson)
    brainjit_model = _models.PoissonSource


class SpikeSourceArray(cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    translations = identity_translations(cells.SpikeSourceArray)
    brainjit_model = _models.ArraySource
