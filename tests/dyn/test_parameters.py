"""NaN and infinite parameters are refused at construction, for every built-in model.

The cases are generated from the constructors' signatures (``inspect.signature``): every
parameter of every built-in neuron, synapse, spike source and input function, except
the few that are not numbers (``NOT_NUMBERS``), is set to NaN, +inf and -inf in turn,
and the constructor must raise a ValueError that names the model (type and name), the
parameter and the value — before anything is compiled or run. A parameter added to a
model later is covered without touching this file (and a new non-numeric one makes the
test fail until it is listed in ``NOT_NUMBERS``).
"""

import inspect
import math

import numpy as np
import pytest
from dyn_helpers import Clamp, Source

import brainjit as bp

# parameters that are not numbers (groups, connectivity, options, names)
NOT_NUMBERS = {
    "self",
    "spike_fun",  # a surrogate spike function (tests/dyn/test_surrogate_neurons.py)
    "size",
    "num",
    "pre",
    "post",
    "conn",
    "method",
    "output",
    "name",
    "indices",
    "dtype",
}
NEURONS = [bp.dyn.LIF, bp.dyn.ExpIF, bp.dyn.AdEx, bp.dyn.Izhikevich, bp.dyn.HH, bp.dyn.TraubHH]
SYNAPSES = [
    bp.dyn.Delta,
    bp.dyn.Exponential,
    bp.dyn.DualExponential,
    bp.dyn.Alpha,
    bp.dyn.AMPA,
    bp.dyn.GABAa,
    bp.dyn.STP,
    bp.dyn.NMDA,
]
SOURCES = [bp.dyn.PoissonGroup, bp.dyn.SpikeTimeGroup]
OTHERS = [bp.dyn.Delay]  # the synapses' ring buffer
# valid values of the parameters without a default
REQUIRED = {
    bp.dyn.PoissonGroup: dict(freqs=10.0),
    bp.dyn.SpikeTimeGroup: dict(indices=[0], times=[1.0]),
}
BAD = [math.nan, math.inf, -math.inf]


def constructor_parameters(cls):
    """The keyword parameters a constructor accepts: its own, plus (when it forwards
    ``**kwargs``) those of the first base class whose constructor takes no ``**kwargs``
    (the one that receives them: ``Synapse`` for the synapses)."""
    own = inspect.signature(cls.__init__).parameters
    names = [p.name for p in own.values() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    if any(p.kind == p.VAR_KEYWORD for p in own.values()):
        for base in cls.__mro__[1:]:
            params = inspect.signature(base.__init__).parameters
            if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
                names += [n for n in params if n not in names and n != "self"]
                break
    return names


def numeric_parameters(cls):
    return [n for n in constructor_parameters(cls) if n not in NOT_NUMBERS]


def cases():
    for cls in NEURONS + SYNAPSES + SOURCES + OTHERS:
        params = numeric_parameters(cls)
        assert params, cls
        for param in params:
            for bad in BAD:
                yield pytest.param(cls, param, bad, id=f"{cls.__name__}-{param}-{bad}")


def build(cls, name, **kwargs):
    if cls in SYNAPSES:
        return cls(Source(3), Clamp(2), bp.conn.All2All(), name=name, **kwargs)
    if cls is bp.dyn.Delay:
        return cls(3, name=name, **kwargs)
    return cls(3, name=name, **{**REQUIRED.get(cls, {}), **kwargs})


def bad_value(cls, param, bad):
    """``bad`` in the form the parameter takes: inside a list for the list-valued
    parameters (spike times), else the number itself."""
    default = REQUIRED.get(cls, {}).get(param)
    if isinstance(default, list):
        return [bad] * len(default)
    return bad


def test_every_model_has_numeric_parameters_and_the_valid_values_build():
    for cls in NEURONS + SYNAPSES + SOURCES + OTHERS:
        build(cls, None)  # the defaults (and REQUIRED) are valid
    assert "t_ref" in numeric_parameters(bp.dyn.LIF)
    assert {"E", "delay", "dt", "weight", "tau"} <= set(numeric_parameters(bp.dyn.Alpha))
    assert "tau_decay" not in numeric_parameters(bp.dyn.Alpha)  # Alpha sets it itself
    assert "V_initial" in numeric_parameters(bp.dyn.HH)


@pytest.mark.parametrize("cls, param, bad", list(cases()))
def test_nan_and_inf_parameters_are_refused(cls, param, bad):
    name = f"probe_{cls.__name__}_{param}_{'nan' if bad != bad else 'inf' if bad > 0 else 'ninf'}"
    with pytest.raises(ValueError) as info:
        build(cls, name, **{param: bad_value(cls, param, bad)})
    message = str(info.value)
    assert f"{cls.__name__} {name}" in message, message
    assert param in message, message
    assert repr(bad) in message, message


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: bp.dyn.LIF(3, V_initial=np.array([-60.0, -60.0, np.nan])), "V_initial"),
        (lambda: bp.dyn.LIF(3, V_rest=np.array([0.0, 0.0, np.inf])), "V_rest"),
        (lambda: bp.dyn.HH(3, gNa=np.array([120.0, 120.0, np.nan])), "gNa"),
        (lambda: bp.dyn.Izhikevich(3, d=[8.0, 8.0, -np.inf]), "d"),
        (lambda: bp.dyn.PoissonGroup(3, freqs=[1.0, 2.0, np.nan]), "freqs"),
        (
            lambda: bp.dyn.Exponential(
                Source(3), Clamp(2), bp.conn.All2All(), weight=[1.0, 1.0, np.nan, 1.0, 1.0, 1.0]
            ),
            "weight",
        ),
    ],
)
def test_array_parameters_name_the_first_bad_element(make, match):
    with pytest.raises(ValueError, match=rf"{match} must be finite, got .*(nan|inf).* at index 2"):
        make()


def test_t_ref_inf_is_refused_rather_than_freezing_the_neurons():
    for cls in (bp.dyn.LIF, bp.dyn.ExpIF, bp.dyn.AdEx, bp.dyn.Izhikevich):
        with pytest.raises(ValueError, match=r"t_ref must be finite, got inf"):
            cls(2, t_ref=float("inf"))


def test_non_numbers_are_refused_with_a_type_error():
    with pytest.raises(TypeError, match=r"LIF .*: tau must be a number or an array of numbers"):
        bp.dyn.LIF(2, tau="fast")


# -- the input functions ---------------------------------------------------------------------

INPUTS = {
    "section_input": (bp.inputs.section_input, dict(values=[0.0, 1.0], durations=[1.0, 2.0])),
    "ramp_input": (bp.inputs.ramp_input, dict(c_start=0.0, c_end=1.0, duration=10.0)),
}


def input_cases():
    for key, (func, _) in INPUTS.items():
        for param, p in inspect.signature(func).parameters.items():
            if isinstance(p.default, bool):  # flags (return_length)
                continue
            for bad in BAD:
                yield pytest.param(key, param, bad, id=f"{key}-{param}-{bad}")


@pytest.mark.parametrize("key, param, bad", list(input_cases()))
def test_inputs_refuse_nan_and_inf(key, param, bad):
    func, required = INPUTS[key]
    value = required.get(param)
    bad_arg = [value[0], bad] if isinstance(value, list) else bad
    with pytest.raises(ValueError) as info:
        func(**{**required, param: bad_arg})
    message = str(info.value)
    assert key in message and param in message and repr(bad) in message, message


@pytest.mark.parametrize("pair", [(math.nan, 10.0), (1.0, math.inf), (-math.inf, 10.0)])
def test_constant_input_refuses_nan_and_inf(pair):
    with pytest.raises(ValueError, match=r"constant_input: .*must be finite"):
        bp.inputs.constant_input([(0.0, 5.0), pair], dt=0.1)


def test_section_input_names_the_bad_element_of_an_array_value():
    with pytest.raises(ValueError, match=r"values\[1\] must be finite, got nan at index 2"):
        bp.inputs.section_input([np.zeros(3), np.array([0.0, 1.0, np.nan])], [1.0, 1.0])
