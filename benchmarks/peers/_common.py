"""What every peer benchmark script shares: the two networks' parameters, the initial
state, the command line and the JSON line.

The peer scripts run in their own virtual environments (``benchmarks/peers/setup.sh``),
so this module uses only the standard library and NumPy, and imports nothing of
brainjit. The networks are those of ``examples/coba.py`` and ``examples/cobahh.py``
(issue 7), in the units of those examples (mV, ms, nS, pF):

COBA (Vogels & Abbott 2005 as in Brette et al. 2007, benchmark 1)
    N = 4000 scale, 80% E / 20% I, p = 0.02 / scale, no delays, dt = 0.1 ms;
    taum dv/dt = ge (Ee - v) + gi (Ei - v) - (v - El) + I, dge/dt = -ge / taue,
    dgi/dt = -gi / taui, conductances in units of the leak conductance;
    taum = 20, El = -60, Vt = -50, Vr = -60, refractory 5 (v clamped), Ee = 0, Ei = -80,
    taue = 5, taui = 10, I = 20, we = 0.6, wi = 6.7; v(0) ~ N(-55, 5), ge(0) = gi(0) = 0.

COBAHH (Brian2's COBAHH example, Brette et al. 2007, benchmark 3)
    Traub & Miles Hodgkin-Huxley neurons, area 20000 um^2: C = 200 pF, gl = 10 nS,
    g_na = 20000 nS, g_kd = 6000 nS, El = -60, EK = -90, ENa = 50, VT = -63, taue = 5,
    taui = 10, Ee = 0, Ei = -80, we = 6 nS, wi = 67 nS; a spike when v crosses -20 mV
    (3 ms refractory for counting); v(0) = El + (5 randn - 5), ge(0) = (1.5 randn + 4) 10,
    gi(0) = (12 randn + 20) 10, m = n = h = 0; no external drive.

The initial values are drawn exactly as the brainjit examples draw them
(``numpy.random.default_rng(seed)``, same order), so for the same seed every simulator
starts from the same state; the random connectivity is each simulator's own (same rule).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys

import numpy as np

DT = 0.1  # ms
P_CONN = 0.02  # connection probability at scale 1

# COBA (mV, ms; conductances relative to the leak conductance)
COBA = dict(
    taum=20.0, El=-60.0, Vt=-50.0, Vr=-60.0, tref=5.0,
    Ee=0.0, Ei=-80.0, taue=5.0, taui=10.0, we=0.6, wi=6.7, I=20.0,
)  # fmt: skip

# COBAHH (mV, ms, nS, pF)
COBAHH = dict(
    Cm=200.0, gl=10.0, g_na=20000.0, g_kd=6000.0,
    El=-60.0, EK=-90.0, ENa=50.0, VT=-63.0,
    taue=5.0, taui=10.0, Ee=0.0, Ei=-80.0, we=6.0, wi=67.0,
    Vspike=-20.0, tref=3.0,
)  # fmt: skip


def sizes(scale: float) -> tuple[int, int, float]:
    """(N, number of E neurons, connection probability) for a scale."""
    num = int(4000 * scale)
    return num, int(0.8 * num), P_CONN / scale


def coba_init(num: int, seed: int) -> dict[str, np.ndarray]:
    """COBA's initial state (as ``examples/coba.py``): v ~ N(-55, 5) mV, ge = gi = 0."""
    v = np.random.default_rng(seed).normal(-55.0, 5.0, num)
    return {"v": v, "ge": np.zeros(num), "gi": np.zeros(num)}


def cobahh_init(num: int, seed: int) -> dict[str, np.ndarray]:
    """COBAHH's initial state (as ``examples/cobahh.py``): v in mV, ge and gi in nS."""
    rng = np.random.default_rng(seed)
    v = COBAHH["El"] + (rng.standard_normal(num) * 5.0 - 5.0)
    ge = (rng.standard_normal(num) * 1.5 + 4.0) * 10.0
    gi = (rng.standard_normal(num) * 12.0 + 20.0) * 10.0
    return {"v": v, "ge": ge, "gi": gi}


def parser(description: str, targets: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line shared by the peer scripts."""
    p = argparse.ArgumentParser(description=description)
    if targets:
        p.add_argument("--target", choices=targets, default=targets[0])
    p.add_argument("--network", choices=["coba", "cobahh"], default="coba")
    p.add_argument("--scale", type=float, default=1.0, help="N = 4000 * scale")
    p.add_argument("--duration", type=float, default=1000.0, help="ms of biological time")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=1, help="threads of the simulator")
    return p


def peak_rss_mb() -> float:
    """This process's peak resident memory, with that of its waited-for children (a
    compiler, a standalone binary), in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0  # KiB on Linux


def rate_hz(count: float, num: int, duration_ms: float) -> float:
    """Mean rate of ``num`` neurons that fired ``count`` spikes in ``duration_ms``."""
    return float(count) / num / (duration_ms / 1000.0)


def emit(
    simulator: str,
    backend: str,
    network: str,
    num: int,
    duration_ms: float,
    build_s: float,
    run_s: float,
    rate_e: float,
    rate_i: float,
    **extra,
) -> dict:
    """Print the one JSON line of a benchmark run (last on stdout) and return it."""
    result = {
        "simulator": simulator,
        "backend": backend,
        "network": network.upper(),
        "N": num,
        "duration_ms": duration_ms,
        "build_s": build_s,
        "run_s": run_s,
        "rate_E_hz": rate_e,
        "rate_I_hz": rate_i,
        "peak_rss_mb": peak_rss_mb(),
        **extra,
    }
    sys.stdout.flush()
    print(json.dumps(result), flush=True)
    return result


def skip(simulator: str, backend: str, network: str, note: str) -> None:
    """Print a JSON line saying that the simulator is absent, and exit with status 3."""
    line = {"simulator": simulator, "backend": backend, "network": network.upper()}
    print(json.dumps({**line, "skipped": note}), flush=True)
    sys.exit(3)
