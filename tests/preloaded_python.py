"""Run a Python script as ``python SCRIPT ARGS...`` would, in a process forked from a
server that has already imported brainjit's dependencies (NumPy, SciPy, Numba, JAX).

Each script still gets a process of its own, and imports brainjit itself, with its own
environment (``BRAINJIT_BACKEND`` included) and working directory: only the imports of
the third-party packages, 1-3 s of CPU per process, are done once per test session (the
documentation and the examples start about 40 processes). Nothing else is run before the
fork: no JAX backend is initialised (JAX is multithreaded once it is), nothing compiled.

The fresh-interpreter path (``subprocess.run``) is taken where forking is not safe or
not equivalent: on other systems than Linux, when the environment differs from the
server's in more than the variables brainjit reads when it is imported (a variable read by
an already imported package would be ignored), and with ``BRAINJIT_TESTS_FRESH_PYTHON=1``.

    python tests/preloaded_python.py    # the server: JSON requests on stdin, one a line
"""

from __future__ import annotations

import atexit
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy

# imported by the server; their submodules that brainjit imports are left to the scripts
PRELOAD = ("numpy", "scipy.linalg", "numba", "numba.typed", "jax", "jax.numpy")
# may differ between the server's environment and a script's (read by brainjit, or by
# packages not preloaded, when the script imports them)
PER_SCRIPT_ENV = {
    "BRAINJIT_BACKEND",
    "BRAINJIT_CACHE_DIR",
    "BRAINJIT_TESTS_OPTIMISED",  # (read by the tests' conftest.py)
    "BRAINJIT_TEST_X64",  # (read by tests/math/test_namespace.py)
    "MPLBACKEND",
    "NUMBA_OPT",  # (Numba's configuration is read again in the child)
    "PYTEST_CURRENT_TEST",
    "PYTHONDONTWRITEBYTECODE",  # (applied in the child: sys.dont_write_bytecode)
    "XLA_FLAGS",  # (read when JAX starts a backend, which the server never does)
}


def _child(request: dict) -> None:
    """In the forked process: become ``python SCRIPT ARGS...``; never returns."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        sys.stdin = open(0, closefd=False)  # not the server's (buffered) requests
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, fd)
            os.close(out)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
        # Numba read its variables when the server imported it; nothing has compiled yet
        # (its code generator, which takes the optimisation level, is made on first use)
        import numba.core.config

        numba.core.config.reload_config()
        # a fresh process's generators: seeded from the OS, not copies of the server's
        random.seed()
        numpy.random.seed()
        script = os.path.abspath(request["script"])
        sys.argv = [request["script"], *request["args"]]
        sys.path[0] = os.path.dirname(script)
        import runpy

        try:
            runpy.run_path(script, run_name="__main__")
            code = 0
        except SystemExit as exit_:
            if exit_.code is None or isinstance(exit_.code, int):
                code = exit_.code or 0
            else:
                print(exit_.code, file=sys.stderr)
        except BaseException:
            import traceback

            traceback.print_exc()
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def _wait(pid: int, timeout: float) -> tuple[int, bool, float]:
    """(return code as subprocess gives it, timed out, CPU seconds of the child)."""
    deadline = time.monotonic() + timeout
    timed_out = False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline and not timed_out:
            os.kill(pid, 9)
            timed_out = True
        time.sleep(0.01)
    return os.waitstatus_to_exitcode(status), timed_out, usage.ru_utime + usage.ru_stime


def serve() -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        rc, timed_out, cpu = _wait(pid, request["timeout"])
        print(json.dumps({"rc": rc, "timed_out": timed_out, "cpu": cpu}), flush=True)


class _Server:
    def __init__(self) -> None:
        env = dict(os.environ)
        self.env = {k: v for k, v in env.items() if k not in PER_SCRIPT_ENV}
        self.log = tempfile.NamedTemporaryFile(prefix="preloaded-python-", suffix=".log")
        self.proc = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env=env,
        )
        self._reply()  # ready

    def _reply(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.log.seek(0)
            raise RuntimeError(f"the script server died:\n{self.log.read().decode()}")
        return json.loads(line)

    def run(self, request: dict) -> dict:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self._reply()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()
        self.log.close()


_servers: list[_Server] = []


def _server() -> _Server:
    if not _servers:
        _servers.append(_Server())
        atexit.register(_servers[0].close)
    return _servers[0]


def _forkable(env: dict) -> bool:
    if not sys.platform.startswith("linux") or os.environ.get("BRAINJIT_TESTS_FRESH_PYTHON"):
        return False
    server_env = _server().env
    return {k: v for k, v in env.items() if k not in PER_SCRIPT_ENV} == server_env


def run_python(
    script: Path, args: list[str], *, cwd: Path, env: dict, timeout: float
) -> subprocess.CompletedProcess:
    """``subprocess.run([python, script, *args], cwd=cwd, env=env, timeout=timeout,
    capture_output=True, text=True)``, in a process forked from the server."""
    command = [sys.executable, str(script), *args]
    if not _forkable(env):
        return subprocess.run(
            command, cwd=cwd, env=env, timeout=timeout, capture_output=True, text=True
        )
    with tempfile.TemporaryDirectory(prefix="preloaded-python-") as out:
        request = {
            "script": str(script),
            "args": list(args),
            "cwd": str(cwd),
            "env": dict(env),
            "timeout": timeout,
            "stdout": os.path.join(out, "stdout"),
            "stderr": os.path.join(out, "stderr"),
        }
        reply = _server().run(request)
        stdout = Path(request["stdout"]).read_text()
        stderr = Path(request["stderr"]).read_text()
    if reply["timed_out"]:
        raise subprocess.TimeoutExpired(command, timeout, stdout, stderr)
    return subprocess.CompletedProcess(command, reply["rc"], stdout, stderr)


if __name__ == "__main__":
    serve()
