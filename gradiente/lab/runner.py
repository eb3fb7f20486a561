"""Run experiments: locally in a process pool, or on a Dask distributed cluster.

Each configuration of an experiment is one task. A task runs in a worker
(:func:`execute`), which seeds gradiente, times the run, measures peak memory
with ``tracemalloc`` and returns everything the store needs; the calling
process writes each result to the SQLite store the moment it arrives, so the
store has a single writer whatever executes the runs. Runs already stored are
skipped unless ``force`` is given.
"""
import os
import platform
import sys
import time
import traceback
import tracemalloc
from concurrent.futures import ProcessPoolExecutor, as_completed

from .experiment import registry
from .store import Store, config_key, to_jsonable


class Recorder:
    """What ``Experiment.run`` writes into: per-epoch metrics and named logs.

    ``log_epoch(epoch, **metrics)`` appends one row (and prints a progress line
    when ``verbose``); ``log(name, value)`` keeps a named value (a number or a
    list, e.g. gradient norms per layer). Everything is stored together when
    the run ends.
    """

    def __init__(self, experiment="", config=None, verbose=False, prefix=""):
        self.experiment = experiment
        self.config = config or {}
        self.verbose = verbose
        self.prefix = prefix
        self.epochs = []
        self.logs = {}

    def log_epoch(self, epoch, **metrics):
        if not isinstance(epoch, int) or isinstance(epoch, bool):
            try:
                epoch = int(epoch)
            except (TypeError, ValueError):
                raise TypeError(f"Recorder.log_epoch: epoch must be an int, got {epoch!r}") from None
        row = {"epoch": epoch}
        row.update(to_jsonable(metrics))
        self.epochs.append(row)
        if self.verbose:
            shown = " ".join(f"{k}={_fmt(v)}" for k, v in metrics.items() if not isinstance(v, (list, dict)))
            print(f"  {self.prefix}epoch {epoch}: {shown}", flush=True)

    def log(self, name, value):
        if not isinstance(name, str) or not name:
            raise TypeError(f"Recorder.log: name must be a non-empty string, got {name!r}")
        self.logs[name] = to_jsonable(value)


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def machine_description():
    """A one-line description of the machine a run executed on."""
    return f"{platform.node()} {platform.machine()} {os.cpu_count()} cpus, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def short_config(config):
    return ", ".join(f"{k}={v}" for k, v in config.items() if k != "seed") + (
        f", seed={config['seed']}" if "seed" in config else "")


def execute(experiment_name, config, verbose=False):
    """Run one configuration of one experiment; return the result dict for :meth:`Store.save`.

    Errors do not propagate: the result has ``status='error'`` and the traceback,
    so one failing configuration does not stop a whole comparison.
    """
    import numpy as np

    import gradiente

    exp = registry[experiment_name]()
    recorder = Recorder(experiment_name, config, verbose=verbose, prefix=f"[{experiment_name} {short_config(config)}] ")
    seed = int(config.get("seed", 0))
    gradiente.manual_seed(seed)
    np.random.seed(seed)
    status, error, final = "done", None, {}
    try:
        exp.setup()
    except Exception:
        status, error = "error", traceback.format_exc()
    started_tracing = not tracemalloc.is_tracing()
    if started_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    try:
        if status == "done":
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # diverging runs are data here
                final = exp.run(dict(config), recorder)
            if final is None:
                final = {}
        if not isinstance(final, dict):
            bad, final = final, {}
            raise TypeError(f"experiment {experiment_name!r}: run() must return a dict of final metrics, "
                            f"got {type(bad).__name__}")
    except Exception:
        status, error = "error", traceback.format_exc()
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    if started_tracing:
        tracemalloc.stop()
    final = to_jsonable(final)
    meta = {
        "params": final.get("params"),
        "flops_per_sample": final.get("flops_per_sample"),
        "time_s": elapsed,
        "peak_mem_bytes": int(peak),
        "version": gradiente.__version__,
        "machine": machine_description(),
    }
    return {"experiment": experiment_name, "config": config, "status": status, "error": error,
            "final": final, "epochs": recorder.epochs, "logs": recorder.logs, "meta": meta}


def _execute_task(task):
    return execute(task[0], task[1], verbose=task[2])


def resolve_experiments(names=None):
    """Experiment names to run: all registered ones by default; unknown names fail clearly."""
    known = list(registry)
    if not names:
        return known
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"unknown experiment(s) {', '.join(unknown)}; known experiments: {', '.join(known)}")
    return list(dict.fromkeys(names))


def plan(store, names, quick, force=False):
    """(tasks to run, number skipped): one task per configuration not yet stored."""
    tasks, skipped = [], 0
    for name in names:
        exp = registry[name]()
        configs = exp.configs(quick)
        seen = set()
        for config in configs:
            key = config_key(config)
            if key in seen:
                raise ValueError(f"experiment {name!r}: configuration {key} appears twice in configs()")
            seen.add(key)
            if not force and store.has(name, config):
                skipped += 1
                continue
            tasks.append((name, config))
    return tasks, skipped


def run_experiments(names=None, quick=False, out="gradiente-results", jobs=None, cluster=None,
                    force=False, store_path=None, verbose=True, log=print, connect_timeout=30):
    """Run the configurations of the named experiments (all by default) and store their results.

    ``jobs`` worker processes run locally (default: the number of CPUs; 1 runs
    in this process); ``cluster`` is the address of a Dask scheduler
    (``tcp://host:port``, reached within ``connect_timeout`` seconds) or a
    ``dask.distributed.Client``. Returns the store path.
    """
    names = resolve_experiments(names)
    store_path = store_path or os.path.join(out, "results.sqlite")
    store = Store(store_path)
    try:
        tasks, skipped = plan(store, names, quick, force)
        total = {n: 0 for n in names}
        for n, _ in tasks:
            total[n] += 1
        done = {n: 0 for n in names}
        log(f"gradiente lab: {len(names)} experiment(s), {len(tasks)} run(s) to do, "
            f"{skipped} already stored in {store_path}")

        def record(result):
            store.save(result)
            n = result["experiment"]
            done[n] += 1
            what = "done" if result["status"] == "done" else "FAILED"
            extra = ""
            if result["status"] != "done":
                extra = " - " + result["error"].strip().splitlines()[-1]
            log(f"[{n}] run {done[n]}/{total[n]} {what} in {result['meta']['time_s']:.1f}s "
                f"({short_config(result['config'])}){extra}")

        if not tasks:
            return store_path
        if cluster is not None:
            _run_dask(tasks, cluster, record, verbose, connect_timeout)
        else:
            jobs = (os.cpu_count() or 1) if jobs is None else int(jobs)
            if jobs < 1:
                raise ValueError(f"run_experiments: jobs must be >= 1, got {jobs}")
            if jobs == 1 or len(tasks) == 1:
                for name, config in tasks:
                    record(execute(name, config, verbose=verbose))
            else:
                _run_pool(tasks, jobs, record, verbose)
    finally:
        store.close()
    return store_path


def _pool_context():
    import multiprocessing as mp

    # fork keeps experiments registered at run time (e.g. in a script) visible to workers
    if "fork" in mp.get_all_start_methods() and sys.platform != "darwin":
        return mp.get_context("fork")
    return mp.get_context("spawn")


def _worker_init():
    # the pool's processes already divide the cores: one BLAS thread each
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:
        pass


def _run_pool(tasks, jobs, record, verbose):
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_pool_context(), initializer=_worker_init)
    try:
        futures = [pool.submit(_execute_task, (name, config, verbose)) for name, config in tasks]
        for fut in as_completed(futures):
            record(fut.result())
    except BaseException:
        # Ctrl-C or a failure: drop the queued runs; what is recorded stays recorded
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _run_dask(tasks, cluster, record, verbose, connect_timeout=30):
    try:
        from dask.distributed import Client, as_completed as dask_completed
    except ImportError:
        raise ImportError(
            "gradiente compare --cluster needs Dask distributed: pip install 'gradiente[cluster]'"
        ) from None
    own = not hasattr(cluster, "submit")
    client = Client(cluster, timeout=connect_timeout) if own else cluster
    try:
        futures = [client.submit(_execute_task, (name, config, False), pure=False) for name, config in tasks]
        for fut in dask_completed(futures):
            record(fut.result())
    finally:
        if own:
            client.close()
