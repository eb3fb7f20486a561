"""The lab's runner: skip what is stored, --force, failures recorded, process pool, kill -9 resume, Dask."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from gradiente.lab import Experiment, register, registry
from gradiente.lab.runner import Recorder, execute, resolve_experiments, run_experiments
from gradiente.lab.store import Store

CALLS = []


@register
class _CountingExperiment(Experiment):
    name = "_test_counting"
    title = "test"
    claim = "test"
    seed_ref = "none"

    def configs(self, quick):
        return [{"i": i, "seed": i} for i in range(2 if quick else 3)]

    def run(self, config, recorder):
        import gradiente as g

        CALLS.append(config["i"])
        for e in range(2):
            recorder.log_epoch(e, loss=float(config["i"] + e))
        recorder.log("vec", [config["i"]] * 3)
        if config["i"] == 2:
            raise RuntimeError("configuration 2 always fails")
        # the runner seeds gradiente with config["seed"]: the first draw is reproducible
        return {"draw": float(g.randn(1).item()), "params": 7, "flops_per_sample": 11}


def test_run_skip_and_force(tmp_path):
    CALLS.clear()
    log = []
    run_experiments(["_test_counting"], quick=True, out=str(tmp_path), jobs=1, verbose=False, log=log.append)
    assert sorted(CALLS) == [0, 1]
    run_experiments(["_test_counting"], quick=True, out=str(tmp_path), jobs=1, verbose=False, log=log.append)
    assert sorted(CALLS) == [0, 1]  # nothing redone
    assert any("0 run(s) to do, 2 already stored" in line for line in log)
    run_experiments(["_test_counting"], quick=True, out=str(tmp_path), jobs=1, force=True, verbose=False,
                    log=log.append)
    assert sorted(CALLS) == [0, 0, 1, 1]
    with Store(tmp_path / "results.sqlite") as s:
        runs = s.runs("_test_counting")
        assert len(runs) == 2
        assert runs[0].meta["params"] == 7 and runs[0].meta["flops_per_sample"] == 11
        assert runs[0].meta["time_s"] >= 0 and runs[0].meta["peak_mem_bytes"] >= 0
        assert runs[0].meta["version"] and runs[0].meta["machine"]
        assert runs[1].logs["vec"] == [1, 1, 1]


def test_failures_are_recorded_and_retried(tmp_path):
    CALLS.clear()
    log = []
    run_experiments(["_test_counting"], quick=False, out=str(tmp_path), jobs=1, verbose=False, log=log.append)
    assert any("FAILED" in line and "configuration 2 always fails" in line for line in log)
    with Store(tmp_path / "results.sqlite") as s:
        assert s.count("_test_counting") == 2
        assert "RuntimeError" in s.errors("_test_counting")[0][1]
    CALLS.clear()
    run_experiments(["_test_counting"], quick=False, out=str(tmp_path), jobs=1, verbose=False, log=log.append)
    assert CALLS == [2]  # only the failed one is tried again


def test_seeding_is_reproducible():
    a = execute("_test_counting", {"i": 0, "seed": 5})
    b = execute("_test_counting", {"i": 0, "seed": 5})
    assert a["status"] == "done" and a["final"]["draw"] == b["final"]["draw"]


def test_process_pool_gives_the_same_results(tmp_path):
    run_experiments(["_test_counting"], quick=True, out=str(tmp_path / "pool"), jobs=2, verbose=False,
                    log=lambda *_: None)
    run_experiments(["_test_counting"], quick=True, out=str(tmp_path / "one"), jobs=1, verbose=False,
                    log=lambda *_: None)
    with Store(tmp_path / "pool" / "results.sqlite") as p, Store(tmp_path / "one" / "results.sqlite") as o:
        pool = {r.config["i"]: r.final["draw"] for r in p.runs("_test_counting")}
        one = {r.config["i"]: r.final["draw"] for r in o.runs("_test_counting")}
    assert pool == one and len(pool) == 2


def test_errors_are_clear(tmp_path):
    with pytest.raises(ValueError, match="unknown experiment.*no_such_experiment"):
        resolve_experiments(["no_such_experiment"])
    with pytest.raises(ValueError, match="jobs must be >= 1"):
        run_experiments(["_test_counting"], out=str(tmp_path), jobs=0, force=True, log=lambda *_: None)
    with pytest.raises(TypeError, match="log_epoch: epoch must be an int"):
        Recorder().log_epoch("x", loss=1.0)
    with pytest.raises(TypeError, match="non-empty string"):
        Recorder().log("", 1)
    with pytest.raises(TypeError, match="Experiment subclass"):
        register(object)
    with pytest.raises(ValueError, match="already used"):
        @register
        class Clash(Experiment):
            name = "_test_counting"
    assert "_test_counting" in registry


def test_run_must_return_a_dict():
    @register
    class _Bad(Experiment):
        name = "_test_bad_return"

        def configs(self, quick):
            return [{"seed": 0}]

        def run(self, config, recorder):
            return 3.0

    res = execute("_test_bad_return", {"seed": 0})
    assert res["status"] == "error" and "must return a dict" in res["error"]


_SCRIPT = """
import os, sys, time
from gradiente.lab import Experiment, register
from gradiente.lab.runner import run_experiments

@register
class Slow(Experiment):
    name = "_slow"
    def configs(self, quick):
        return [{{"i": i, "seed": 0}} for i in range(6)]
    def run(self, config, recorder):
        with open({marks!r}, "a") as f:
            f.write(f"{{config['i']}}\\n")
        time.sleep(0.4)
        return {{"i": config["i"]}}

run_experiments(["_slow"], out={out!r}, jobs=1, verbose=False)
"""


def test_kill_9_midway_loses_no_finished_run_and_resumes(tmp_path):
    marks, out = tmp_path / "marks.txt", tmp_path / "res"
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(_SCRIPT.format(marks=str(marks), out=str(out))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd()] + sys.path))
    proc = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    store_path = out / "results.sqlite"
    deadline = time.time() + 60
    done_before = 0
    while time.time() < deadline:
        time.sleep(0.1)
        if store_path.exists():
            with Store(store_path) as s:
                done_before = s.count("_slow")
            if done_before >= 2:
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 2 <= done_before < 6, "the run must be killed midway"
    with Store(store_path) as s:
        finished = {r.config["i"] for r in s.runs("_slow")}
    assert len(finished) >= 2
    started_first = marks.read_text().split()
    subprocess.run([sys.executable, str(script)], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=120)
    with Store(store_path) as s:
        assert {r.config["i"] for r in s.runs("_slow")} == set(range(6))
    started_second = marks.read_text().split()[len(started_first):]
    # the second invocation ran exactly the configurations that were not finished
    assert sorted(int(i) for i in started_second) == sorted(set(range(6)) - finished)


def test_dask_local_cluster_on_loopback(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        with distributed.Client(cluster) as client:
            run_experiments(["_test_counting"], quick=True, out=str(tmp_path), cluster=client, verbose=False,
                            log=lambda *_: None)
            with Store(tmp_path / "results.sqlite") as s:
                assert s.count("_test_counting") == 2
        # an address string works too (the CLI's --cluster)
        run_experiments(["_test_counting"], quick=False, out=str(tmp_path), cluster=cluster.scheduler_address,
                        verbose=False, log=lambda *_: None)
        with Store(tmp_path / "results.sqlite") as s:
            assert s.count("_test_counting") == 2 and len(s.errors("_test_counting")) == 1


def test_unreachable_cluster_fails_clearly(tmp_path):
    pytest.importorskip("dask.distributed")
    with pytest.raises(OSError, match="127.0.0.1:9"):
        run_experiments(["_test_counting"], quick=True, out=str(tmp_path), cluster="tcp://127.0.0.1:9",
                        verbose=False, log=lambda *_: None, connect_timeout=1)
