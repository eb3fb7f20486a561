"""The lab's SQLite store: one transaction per run, skip/replace semantics, JSON round trip."""
import math
import sqlite3

import numpy as np
import pytest

from gradiente.lab.store import Store, config_key, to_jsonable


def _result(config, status="done", final=None, epochs=2):
    return {"experiment": "exp", "config": config, "status": status, "error": "Traceback\nValueError: x" if status != "done" else None,
            "final": final or {"acc": 0.5, "params": 10},
            "epochs": [{"epoch": e, "loss": 1.0 / (e + 1)} for e in range(epochs)],
            "logs": {"norms": [1.0, 2.0]},
            "meta": {"params": 10, "flops_per_sample": 20, "time_s": 0.1, "peak_mem_bytes": 1000,
                     "version": "0.1.0", "machine": "test"}}


def test_save_and_read_back(tmp_path):
    with Store(tmp_path / "r.sqlite") as s:
        s.save(_result({"a": 1, "seed": 0}))
        assert s.has("exp", {"seed": 0, "a": 1})  # key order does not matter
        assert not s.has("exp", {"a": 2, "seed": 0})
        (run,) = s.runs("exp")
    assert run.config == {"a": 1, "seed": 0}
    assert run.final == {"acc": 0.5, "params": 10}
    assert [e["epoch"] for e in run.epochs] == [0, 1]
    assert run.logs == {"norms": [1.0, 2.0]}
    assert run.meta["params"] == 10 and run.meta["flops_per_sample"] == 20 and run.meta["machine"] == "test"
    assert run.curve("loss") == ([0, 1], [1.0, 0.5])


def test_store_persists_across_connections(tmp_path):
    path = tmp_path / "r.sqlite"
    with Store(path) as s:
        s.save(_result({"a": 1}))
    with Store(path) as s:
        assert s.count("exp") == 1


def test_error_runs_are_not_done_and_are_replaced(tmp_path):
    with Store(tmp_path / "r.sqlite") as s:
        s.save(_result({"a": 1}, status="error"))
        assert not s.has("exp", {"a": 1})
        assert s.runs("exp") == []
        assert s.errors("exp")[0][0] == {"a": 1}
        s.save(_result({"a": 1}, final={"acc": 0.9}))
        assert s.has("exp", {"a": 1})
        assert s.errors("exp") == []
        assert s.count("exp") == 1
        # epochs of the replaced run are gone with it
        assert s.conn.execute("SELECT COUNT(*) FROM epochs").fetchone()[0] == 2


def test_runs_follow_config_order(tmp_path):
    with Store(tmp_path / "r.sqlite") as s:
        for a in (1, 2, 3):
            s.save(_result({"a": a}))
        got = s.runs("exp", configs=[{"a": 3}, {"a": 9}, {"a": 1}])
    assert [r.config["a"] for r in got] == [3, 1]


def test_non_finite_and_numpy_values_round_trip(tmp_path):
    final = {"loss": float("nan"), "big": float("inf"), "arr": np.arange(3, dtype=np.float32), "n": np.int64(4)}
    with Store(tmp_path / "r.sqlite") as s:
        s.save(_result({"a": 1}, final=final))
        (run,) = s.runs("exp")
    assert math.isnan(run.final["loss"]) and run.final["big"] == math.inf
    assert run.final["arr"] == [0.0, 1.0, 2.0] and run.final["n"] == 4
    assert to_jsonable({"x": (np.float32(1.5),)}) == {"x": [1.5]}


def test_config_key_errors():
    with pytest.raises(TypeError, match="must be a dict"):
        config_key([1, 2])
    with pytest.raises(TypeError, match="JSON-serialisable"):
        config_key({"f": object()})


def test_failed_transaction_keeps_previous_results(tmp_path):
    path = tmp_path / "r.sqlite"
    with Store(path) as s:
        s.save(_result({"a": 1}))
        bad = _result({"a": 2})
        bad["epochs"] = [{"no_epoch_key": 1}]  # fails inside the transaction
        with pytest.raises(KeyError):
            s.save(bad)
        assert s.count("exp") == 1
        assert not s.has("exp", {"a": 2})
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
