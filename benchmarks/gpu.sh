#!/usr/bin/env bash
# The JAX-backend checks on a GPU machine, in one go (used on the lent H100):
#   bash benchmarks/gpu.sh [OUTDIR]
# It runs the jax-parametrised tests of the event, jit, control-flow and network modules
# on the GPU, then COBA (N = 4000, 16000, 64000) and COBAHH (N = 4000, 16000) for 1 s of
# biological time, and the compiled loop vs per-step loop benchmark, printing one JSON line
# per run. brainjit is taken from this checkout (PYTHONPATH), with the machine's own jax.
set -u
OUT_DIR=${1:-${OUT:-/tmp/brainjit-gpu}}
mkdir -p "$OUT_DIR"
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
PY=${PYTHON:-python3}
nvidia-smi -L
$PY -c "import jax, numba, numpy; print('jax', jax.__version__, jax.devices(), 'numba', numba.__version__, 'numpy', numpy.__version__)"
timeout 240 $PY -m pytest -q -x -p no:cacheprovider -k jax \
  tests/math/test_event.py tests/math/test_control_flow.py tests/dyn/test_network.py \
  tests/running/test_coba.py 2>&1 | tail -15
for scale in 1 4 16; do
  timeout 120 $PY examples/coba.py --backend jax --scale $scale --duration 1000 --no-plot \
    --no-progress --json | tail -1 | tee -a "$OUT_DIR/gpu_runs.jsonl"
done
for scale in 1 4; do
  timeout 120 $PY examples/cobahh.py --backend jax --scale $scale --duration 1000 --no-plot \
    --no-progress --json | tail -1 | tee -a "$OUT_DIR/gpu_runs.jsonl"
done
timeout 200 $PY benchmarks/coba.py --backends jax --networks coba --durations 1000 \
  --per-step-duration 200 --no-write 2>&1 | tail -4 | tee "$OUT_DIR/gpu_coba_table.txt"
