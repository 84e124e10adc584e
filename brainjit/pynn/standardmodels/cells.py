"""PyNN's standard cell types, run by the models of :mod:`brainjit.pynn._cells` and
:mod:`brainjit.pynn._cells_nonlinear` (cells)
and :mod:`brainjit.pynn._models` (spike sources)."""

from pyNN.standardmodels import cells

from brainjit.pynn import _cells, _cells_nonlinear, _models
from brainjit.pynn.standardmodels import identity_translations

__all__ = [
    "IF_curr_exp", "IF_curr_alpha", "IF_curr_delta", "IF_cond_exp", "IF_cond_alpha",
    "EIF_cond_exp_isfa_ista", "EIF_cond_alpha_isfa_ista", "HH_cond_exp", "Izhikevich",
    "SpikeSourcePoisson", "SpikeSourceArray",
]  # fmt: skip


def _standard(base, model):
    """PyNN's class ``base`` with identity translations, run by the brainjit ``model``."""
    return type(
        base.__name__,
        (base,),
        {
            "__doc__": base.__doc__,
            "__module__": __name__,
            "translations": identity_translations(base),
            "brainjit_model": model,
        },
    )


IF_curr_exp = _standard(cells.IF_curr_exp, _cells.IFCurrExp)
IF_curr_alpha = _standard(cells.IF_curr_alpha, _cells.IFCurrAlpha)
IF_curr_delta = _standard(cells.IF_curr_delta, _cells.IFCurrDelta)
IF_cond_exp = _standard(cells.IF_cond_exp, _cells.IFCondExp)
IF_cond_alpha = _standard(cells.IF_cond_alpha, _cells.IFCondAlpha)
EIF_cond_exp_isfa_ista = _standard(cells.EIF_cond_exp_isfa_ista, _cells_nonlinear.EIFCondExp)
EIF_cond_alpha_isfa_ista = _standard(cells.EIF_cond_alpha_isfa_ista, _cells_nonlinear.EIFCondAlpha)
HH_cond_exp = _standard(cells.HH_cond_exp, _cells_nonlinear.HHCondExp)
Izhikevich = _standard(cells.Izhikevich, _cells_nonlinear.Izhikevich)
SpikeSourcePoisson = _standard(cells.SpikeSourcePoisson, _models.PoissonSource)
SpikeSourceArray = _standard(cells.SpikeSourceArray, _models.ArraySource)
