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


def test_floor_products_run_at_small_sizes():
    """floors.py's products have consistent shapes (a mismatch raises); no timing is asserted."""
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import floors
    finally:
        sys.path.remove(str(SCRIPT.parent))
    for products in (floors.lstm_floor(T=3, B=2, I=4, H=8), floors.encoder_floor(B=2, L=5, D=8, heads=2, FF=16),
                     floors.lenet_floor(N=2)):
        assert products() is None


def test_serving_workers_take_turns_and_report_paired_ratios():
    """The main loop keeps one worker per library alive and pairs their turns (no timing is asserted)."""
    pytest.importorskip("torch")
    out = subprocess.run([sys.executable, str(SCRIPT), "--rounds", "3", "--per-worker", "2", "--calls", "1",
                          "--repeats", "2", "xor_step"],
                         capture_output=True, text=True, check=True)
    line = out.stdout.strip().splitlines()[-1]
    assert line.startswith("xor_step") and "paired" in line and "middle half" in line


def test_bad_counts_are_refused():
    out = subprocess.run([sys.executable, str(SCRIPT), "--rounds", "0", "xor_step"], capture_output=True, text=True)
    assert out.returncode == 2 and "--rounds, --per-worker, --calls and --repeats must be at least 1" in out.stderr
