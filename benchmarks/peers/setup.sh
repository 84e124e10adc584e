#!/usr/bin/env bash
# Creates one virtual environment per peer simulator, at the repository root:
#
#   bash benchmarks/peers/setup.sh                 # .venv-brian2, .venv-brainpy, .venv-nest,
#                                                  # .venv-snntorch
#   bash benchmarks/peers/setup.sh brainpy nest    # only these
#   PYTHON_BRIAN2=/path/to/python3.13 bash benchmarks/peers/setup.sh brian2
#
# Each from benchmarks/peers/requirements-<peer>.txt (pinned versions). The peers pin
# their own NumPy and jax, hence environments apart from the project's .venv. Each
# peer prefers a Python (Brian2 2.11: 3.13; BrainPy 2.9: 3.12; NEST's wheel: 3.11;
# snnTorch: 3.11, for which this machine has PyTorch's CPU wheel on disk),
# found on PATH or among pyenv's versions, else it takes python3 and the requirements
# files' older pins for it. PYTHON_<PEER> overrides the choice. A peer that fails to
# install is reported and skipped; benchmarks/compare.py then lists it as not installed.
set -u
cd "$(dirname "$0")/../.."

find_python() {  # find_python VERSION...: the first interpreter found, else python3
    local v cand root
    root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
    for v in "$@"; do
        for cand in "$(command -v "python$v" 2>/dev/null)" "$root"/versions/"$v"*/bin/"python$v"; do
            if [ -n "$cand" ] && [ -x "$cand" ] && "$cand" -c "import venv, ssl" 2>/dev/null; then
                echo "$cand"
                return
            fi
        done
    done
    command -v python3
}

setup_peer() {  # setup_peer NAME PREFERRED_VERSION...
    local name="$1" override python venv="$PWD/.venv-$1"
    shift
    override="PYTHON_$(echo "$name" | tr '[:lower:]' '[:upper:]')"
    python="${!override:-$(find_python "$@")}"
    echo "== $name: $("$python" --version 2>&1) ($python) -> .venv-$name"
    if ! "$python" -m venv --clear "$venv"; then
        echo "!! $name: could not create $venv" >&2
        return 1
    fi
    "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
    if ! "$venv/bin/python" -m pip install -q -r "benchmarks/peers/requirements-$name.txt"; then
        echo "!! $name: installation failed; compare.py will list it as not installed" >&2
        return 1
    fi
    "$venv/bin/python" -m pip freeze > "$venv/freeze.txt"
    echo "   installed: $(grep -i -E "^(brian2|brainpy|nest-simulator|snntorch|torch|jax|numpy)==" "$venv/freeze.txt" | tr '\n' ' ')"
}

peers=("$@")
[ ${#peers[@]} -eq 0 ] && peers=(brian2 brainpy nest snntorch)
status=0
for peer in "${peers[@]}"; do
    case "$peer" in
        brian2) setup_peer brian2 3.13 3.12 3.11 || status=1 ;;
        brainpy) setup_peer brainpy 3.12 3.13 3.11 || status=1 ;;
        nest) setup_peer nest 3.11 || status=1 ;;
        snntorch) setup_peer snntorch 3.11 || status=1 ;;
        *) echo "unknown peer '$peer' (brian2, brainpy, nest, snntorch)" >&2; status=2 ;;
    esac
done
exit $status
