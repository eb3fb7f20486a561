"""The results store: one SQLite file that holds every run of the lab.

A run is written in a single transaction when it finishes (its row, its
per-epoch metrics and its logs together), so a process killed midway (Ctrl-C,
``kill -9``) loses at most the runs still in progress, never a finished one,
and the next invocation skips what is stored and continues.

Tables: ``runs`` (experiment, canonical config key, seed, status, final
metrics, params, FLOPs per sample, time, peak memory, version, machine),
``epochs`` (run id, epoch, metrics as JSON) and ``logs`` (run id, name, JSON
value).
"""
import json
import math
import os
import sqlite3
import time

from .experiment import Run

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment TEXT NOT NULL,
    key TEXT NOT NULL,
    config TEXT NOT NULL,
    seed INTEGER,
    status TEXT NOT NULL,
    error TEXT,
    final TEXT,
    params INTEGER,
    flops_per_sample INTEGER,
    time_s REAL,
    peak_mem_bytes INTEGER,
    version TEXT,
    machine TEXT,
    finished_at REAL,
    UNIQUE (experiment, key)
);
CREATE TABLE IF NOT EXISTS epochs (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    metrics TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS logs (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS epochs_run ON epochs(run_id);
CREATE INDEX IF NOT EXISTS logs_run ON logs(run_id);
"""


def to_jsonable(value):
    """Plain Python from NumPy scalars/arrays and tensors; NaN/Inf become None-safe strings."""
    if hasattr(value, "data") and hasattr(value, "grad_fn"):  # a Tensor
        value = value.data
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)


def from_jsonable(value):
    """Inverse of :func:`to_jsonable` for the non-finite floats."""
    if isinstance(value, str) and value in ("nan", "inf", "-inf"):
        return float(value)
    if isinstance(value, list):
        return [from_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: from_jsonable(v) for k, v in value.items()}
    return value


def dumps(value):
    return json.dumps(to_jsonable(value), sort_keys=True)


def loads(text):
    return from_jsonable(json.loads(text)) if text is not None else None


def config_key(config):
    """The canonical text of a configuration: the identity of a run inside its experiment."""
    if not isinstance(config, dict):
        raise TypeError(f"an experiment configuration must be a dict, got {type(config).__name__}")
    try:
        return json.dumps(config, sort_keys=True, separators=(",", ":"))
    except TypeError as exc:
        raise TypeError(f"an experiment configuration must be JSON-serialisable: {exc}") from None


class Store:
    """The SQLite file of results (``Store(path)``; ``":memory:"`` for tests)."""

    def __init__(self, path):
        self.path = str(path)
        if self.path != ":memory:":
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=60)
        self.conn.execute("PRAGMA foreign_keys = ON")
        if self.path != ":memory:":
            self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.executescript(_SCHEMA)
        self.conn.commit()

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ------------------------------------------------------------- writing
    def save(self, result):
        """Store one finished run (a dict made by the runner) in one transaction.

        A run already stored under the same experiment and configuration is
        replaced (that is what ``--force`` asks for).
        """
        key = config_key(result["config"])
        meta = result.get("meta", {})
        with self.conn:  # one transaction: all or nothing
            self.conn.execute("DELETE FROM runs WHERE experiment = ? AND key = ?", (result["experiment"], key))
            cur = self.conn.execute(
                "INSERT INTO runs (experiment, key, config, seed, status, error, final, params, "
                "flops_per_sample, time_s, peak_mem_bytes, version, machine, finished_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    result["experiment"], key, dumps(result["config"]), result["config"].get("seed"),
                    result.get("status", "done"), result.get("error"), dumps(result.get("final") or {}),
                    meta.get("params"), meta.get("flops_per_sample"), meta.get("time_s"),
                    meta.get("peak_mem_bytes"), meta.get("version"), meta.get("machine"), time.time(),
                ),
            )
            run_id = cur.lastrowid
            self.conn.executemany(
                "INSERT INTO epochs (run_id, epoch, metrics) VALUES (?, ?, ?)",
                [(run_id, int(row["epoch"]), dumps(row)) for row in result.get("epochs", [])],
            )
            self.conn.executemany(
                "INSERT INTO logs (run_id, name, value) VALUES (?, ?, ?)",
                [(run_id, name, dumps(v)) for name, v in result.get("logs", {}).items()],
            )
        return run_id

    def delete(self, experiment, config=None):
        """Forget the runs of an experiment (or of one of its configurations)."""
        with self.conn:
            if config is None:
                self.conn.execute("DELETE FROM runs WHERE experiment = ?", (experiment,))
            else:
                self.conn.execute(
                    "DELETE FROM runs WHERE experiment = ? AND key = ?", (experiment, config_key(config))
                )

    # ------------------------------------------------------------- reading
    def has(self, experiment, config):
        """True when a finished (status 'done') run of this configuration is stored."""
        row = self.conn.execute(
            "SELECT 1 FROM runs WHERE experiment = ? AND key = ? AND status = 'done'",
            (experiment, config_key(config)),
        ).fetchone()
        return row is not None

    def experiments(self):
        return [r[0] for r in self.conn.execute("SELECT DISTINCT experiment FROM runs ORDER BY experiment")]

    def count(self, experiment=None, status="done"):
        if experiment is None:
            return self.conn.execute("SELECT COUNT(*) FROM runs WHERE status = ?", (status,)).fetchone()[0]
        return self.conn.execute(
            "SELECT COUNT(*) FROM runs WHERE experiment = ? AND status = ?", (experiment, status)
        ).fetchone()[0]

    def errors(self, experiment):
        """(config, error text) of the runs of ``experiment`` that failed."""
        rows = self.conn.execute(
            "SELECT config, error FROM runs WHERE experiment = ? AND status = 'error' ORDER BY id", (experiment,)
        ).fetchall()
        return [(loads(c), e) for c, e in rows]

    def runs(self, experiment, configs=None, status="done"):
        """The stored :class:`Run` objects of ``experiment``, in the order of ``configs`` if given."""
        rows = self.conn.execute(
            "SELECT id, key, config, final, params, flops_per_sample, time_s, peak_mem_bytes, version, "
            "machine, finished_at FROM runs WHERE experiment = ? AND status = ? ORDER BY id",
            (experiment, status),
        ).fetchall()
        by_key = {r[1]: r for r in rows}
        if configs is not None:
            keys = [config_key(c) for c in configs]
            rows = [by_key[k] for k in keys if k in by_key]
        out = []
        for (run_id, _key, config, final, params, flops, time_s, mem, version, machine, finished) in rows:
            epochs = [loads(m) for (m,) in self.conn.execute(
                "SELECT metrics FROM epochs WHERE run_id = ? ORDER BY epoch, rowid", (run_id,))]
            logs = {n: loads(v) for n, v in self.conn.execute(
                "SELECT name, value FROM logs WHERE run_id = ? ORDER BY rowid", (run_id,))}
            meta = {"id": run_id, "params": params, "flops_per_sample": flops, "time_s": time_s,
                    "peak_mem_bytes": mem, "version": version, "machine": machine, "finished_at": finished}
            out.append(Run(config=loads(config), final=loads(final) or {}, epochs=epochs, logs=logs, meta=meta))
        return out
