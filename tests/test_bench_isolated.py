"""bench/isolated.py: a worker builds the twin models and times only its own side (no timing is asserted)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "isolated.py"


@pytest.mark.parametrize("side", [0, 1], ids=["gradiente", "torch"])
def test_worker_prints_seconds_per_call(side):
    pytest.importorskip("torch")
    out = subprocess.run([sys.executable, str(SCRIPT), "--worker", "xor_step", str(side), "2", "3"],
                         capture_output=True, text=True, check=True)
    times = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(times) == 3 and all(t > 0 for t in times)


def test_unknown_workload_is_refused():
    out = subprocess.run([sys.executable, str(SCRIPT), "lenet", "nope"], capture_output=True, text=True)
    assert out.returncode == 2 and "unknown workload(s) lenet, nope" in out.stderr
