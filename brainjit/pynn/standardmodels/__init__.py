"""PyNN's standard cells, synapses and current sources for ``brainjit.pynn``: PyNN's
own classes (their parameters, defaults and units), each naming the brainjit model
that runs it. Native names and units are PyNN's (identity translations)."""

from pyNN.standardmodels import build_translations


def identity_translations(cls, *extra):
    """PyNN's ``translations`` mapping every default parameter of ``cls`` (and
    ``extra`` names) to itself."""
    names = list(cls.default_parameters) + list(extra)
    return build_translations(*[(name, name) for name in names])
