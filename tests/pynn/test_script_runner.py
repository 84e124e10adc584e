"""``python -m brainjit.pynn SCRIPT brainjit ...``: PyNN's example scripts pick their
simulator by name (``pyNN.utility.get_simulator`` imports ``pyNN.<name>``, or they
``exec("from pyNN.%s import *")``); the runner makes ``brainjit`` such a name and runs
the script unchanged, with its own arguments, on the backend asked for."""

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("pyNN")

SCRIPT = textwrap.dedent(
    """
    import sys
    from pyNN.utility import get_simulator, get_script_args

    sim, options = get_simulator(("--cells", "how many", {"type": int, "default": 2}))
    sim.setup(timestep=0.1)
    cells = sim.Population(options.cells, sim.IF_curr_exp())
    exec("from pyNN.%s import Population as P" % get_script_args(1)[0])
    import brainjit.math as bm
    print(options.simulator, P is sim.Population, cells.size, bm.get_backend_name(),
          sim.simulator.state.backend, __name__)
    sim.end()
    """
)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_runner_runs_a_pynn_script_unchanged(tmp_path, backend):
    script = tmp_path / "example.py"
    script.write_text(SCRIPT)
    cmd = [sys.executable, "-m", "brainjit.pynn", "--backend", backend, str(script)]
    out = subprocess.run(
        cmd + ["brainjit", "--cells", "3"], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["brainjit", "True", "3", backend, backend, "__main__"]
