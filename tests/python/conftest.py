"""Fixtures of the l0sim package's tests: the l0sim executable and the data they share.

Environment (set by tests/python/CMakeLists.txt): L0SIM_EXE (build/sim/l0sim), L0SIM_MODEL
(the model its engine was built for), L0SIM_SC (l0sim-sc, optional)."""
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import l0sim

TOP = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def exe() -> str:
    e = os.environ.get("L0SIM_EXE")
    if not e or not os.path.exists(e):
        pytest.skip("L0SIM_EXE (the l0sim executable) not set")
    return e


@pytest.fixture(scope="session")
def model_path() -> str:
    return os.environ.get("L0SIM_MODEL", str(TOP / "model" / "default.json"))


@pytest.fixture(scope="session")
def model(model_path):
    return l0sim.Model.load(model_path)


@pytest.fixture(scope="session")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    singles = d / "singles.l0s"
    stream = d / "stream.l0s"
    l0sim.generate(singles, singles=300, seed=11, threads=2)
    l0sim.generate(stream, crossings=40, seed=12, hard_fraction=0.2, threads=2)
    return {"singles": singles, "stream": stream, "dir": d}


def infer(exe, model_path, stim, out):
    """`l0sim infer` on a file: its columns (numpy.load of PREFIX.npz)."""
    subprocess.run([exe, "infer", "--model", model_path, "--data", str(stim), "-o", str(out),
                    "-q"], check=True)
    with np.load(str(out) + ".npz") as z:
        return {k: z[k] for k in z.files}
