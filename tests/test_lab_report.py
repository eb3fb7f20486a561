"""The lab's report: HTML with embedded figures, summary.md, terminal table, CLI, and a real browser."""
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

import gradiente as g
from gradiente import nn
from gradiente.lab import Experiment, register, registry
from gradiente.lab import cli
from gradiente.lab.report import _SCRIPT, build_report, fmt, md_table, pyplot, terminal_table
from gradiente.lab.runner import run_experiments
from gradiente.lab.utils import count_flops

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


@register
class _Plotting(Experiment):
    name = "_test_plotting"
    title = "Test experiment with a figure"
    claim = "x grows"
    seed_ref = "seed 000 §0"

    def configs(self, quick):
        return [{"x": x, "seed": 0} for x in ((1, 2) if quick else (1, 2, 3))]

    def run(self, config, recorder):
        for e in range(3):
            recorder.log_epoch(e, value=config["x"] * e)
        return {"value": config["x"] * 2.0}

    def figure(self, runs, fig_dir):
        plt = pyplot()
        fig, ax = plt.subplots()
        for r in runs:
            ax.plot(*r.curve("value"))
        path = os.path.join(fig_dir, "plot.png")
        fig.savefig(path, dpi=40)
        return [path]

    def verdict(self, runs):
        vals = [r.final["value"] for r in runs]
        return vals == sorted(vals), f"values {vals}"


@register
class _Broken(Experiment):
    name = "_test_broken_figure"
    title = "Test experiment whose figure fails"

    def configs(self, quick):
        return [{"seed": 0}]

    def run(self, config, recorder):
        return {"v": 1}

    def figure(self, runs, fig_dir):
        raise RuntimeError("cannot draw")


NAMES = ["_test_plotting", "_test_broken_figure"]


@pytest.fixture()
def results(tmp_path):
    pytest.importorskip("matplotlib")
    run_experiments(NAMES, quick=True, out=str(tmp_path), jobs=1, verbose=False, log=lambda *_: None)
    return tmp_path


def test_report_files_and_sections(results):
    lines = []
    out = build_report(str(results), names=NAMES, log=lines.append)
    html = open(out["html"], encoding="utf-8").read()
    assert "<img" in html and "data:image/png;base64," in html  # self-contained
    assert "src=\"figures" not in html
    assert "Claim: x grows" in html and "seed 000 §0" in html
    assert "Result: supported." in html and "values [2.0, 4.0]" in html
    assert "figure() failed" in html and "cannot draw" in html  # a broken figure is reported, not fatal
    assert os.path.isfile(results / "figures" / "_test_plotting" / "plot.png")
    md = open(out["markdown"], encoding="utf-8").read()
    assert "![_test_plotting](figures/_test_plotting/plot.png)" in md
    assert "| _test_plotting | 2 | supported | values [2.0, 4.0] |" in md
    assert any("_test_plotting" in line and "supported" in line for line in lines)
    sec = {s["name"]: s for s in out["sections"]}
    assert sec["_test_plotting"]["runs"] == 2 and sec["_test_plotting"]["quick"] is True


def test_report_prefers_the_config_set_with_more_runs(results):
    run_experiments(["_test_plotting"], quick=False, out=str(results), jobs=1, verbose=False, log=lambda *_: None)
    out = build_report(str(results), names=["_test_plotting"], log=lambda *_: None)
    assert out["sections"][0]["runs"] == 3 and out["sections"][0]["quick"] is False
    out = build_report(str(results), names=["_test_plotting"], quick=True, log=lambda *_: None)
    assert out["sections"][0]["runs"] == 2


def test_report_errors(tmp_path, results):
    with pytest.raises(FileNotFoundError, match="no results store"):
        build_report(str(tmp_path / "nothing"), log=lambda *_: None)
    with pytest.raises(ValueError, match="unknown experiment"):
        build_report(str(results), names=["nope"], log=lambda *_: None)
    with pytest.raises(SystemExit, match="gradiente report: no results store"):
        cli.main(["report", "--out", str(tmp_path / "nothing")])
    with pytest.raises(SystemExit, match="unknown experiment"):
        cli.main(["compare", "nope", "--out", str(tmp_path)])


def test_cli_compare_then_report(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert cli.main(["compare", "_test_plotting", "--quick", "--jobs", "1", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "epoch 2" in text and "[_test_plotting] run 2/2 done" in text and "report:" in text
    os.remove(tmp_path / "report.html")
    assert cli.main(["report", "_test_plotting", "--out", str(tmp_path)]) == 0
    assert os.path.isfile(tmp_path / "report.html")
    assert cli.main(["compare", "--list"]) == 0
    assert "xor" in capsys.readouterr().out


def test_every_registered_experiment_follows_the_interface():
    import json

    names = list(registry)
    for mine in ("xor", "activations", "optimizers", "learning_rate", "minibatch", "initialization",
                 "regularization", "normalization", "skip_connections", "depth_vs_width", "transfer",
                 "distillation"):
        assert mine in names
    for name in names:
        exp = registry[name]()
        if name.startswith("_test"):
            continue
        assert exp.title and exp.claim and "seed" in exp.seed_ref, name
        for quick in (True, False):
            cfgs = exp.configs(quick)
            assert cfgs and all(isinstance(c, dict) for c in cfgs), name
            keys = [json.dumps(c, sort_keys=True) for c in cfgs]
            assert len(set(keys)) == len(keys), name


def test_xor_experiment_end_to_end(tmp_path):
    pytest.importorskip("matplotlib")
    run_experiments(["xor"], quick=True, out=str(tmp_path), jobs=1, verbose=False, log=lambda *_: None)
    out = build_report(str(tmp_path), names=["xor"], log=lambda *_: None)
    sec = out["sections"][0]
    assert sec["supported"] is True, sec["sentence"]
    assert sec["figures"] and not sec["problems"]
    rows = {r["model"]: r for r in sec["rows"]}
    assert rows["perceptron"]["mean accuracy"] < 1.0 and rows["mlp"]["seeds solved"] == rows["mlp"]["seeds"]


def test_flops_match_recorded_torch_counts():
    ref = np.load(os.path.join(FIXTURES, "lab_flops.npz"))
    layers = {
        "linear_6_5_x4": (nn.Linear(6, 5, bias=False), (4, 6)),
        "linear_64_10_x3x7": (nn.Linear(64, 10, bias=False), (3, 7, 64)),
        "conv2d_3_4_k3_s2": (nn.Conv2d(3, 4, 3, stride=2, bias=False), (2, 3, 9, 9)),
        "conv2d_1_8_k3_p1": (nn.Conv2d(1, 8, 3, padding=1, bias=False), (5, 1, 8, 8)),
        "conv1d_2_3_k5": (nn.Conv1d(2, 3, 5, bias=False), (2, 2, 12)),
    }
    for name, (layer, shape) in layers.items():
        assert count_flops(layer, g.randn(*shape), per_sample=False) == int(ref[name]), name


def test_formatting_helpers():
    assert fmt(0.123456) == "0.1235" and fmt(1e-5) == "1.000e-05" and fmt(None) == "" and fmt(True) == "True"
    assert fmt(list(range(10))).endswith(", ...]")
    assert md_table([{"a": 1, "b": "x|y"}]).splitlines()[2] == "| 1 | x/y |"
    table = terminal_table([{"name": "e", "runs": 1, "supported": False, "sentence": "s" * 300}], width=80)
    assert "not supported" in table and all(len(line) <= 80 for line in table.splitlines())


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium package)")


def _figures_loaded(browser, html_path, tmp_path):
    # everything stays on this machine: a file:// page, background services off, any proxy lookup to a dead port
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
           "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
           "--proxy-server=127.0.0.1:9", f"--user-data-dir={tmp_path / 'profile'}",
           "--virtual-time-budget=10000", "--dump-dom", "file://" + os.path.abspath(html_path)]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    m = re.search(r'data-figures-loaded="(\d+)/(\d+)"', dom)
    assert m, "the page's load script did not run"
    return int(m.group(1)), int(m.group(2))


def test_report_renders_in_headless_chromium(results, tmp_path):
    browser = _chromium()
    out = build_report(str(results), names=NAMES, log=lambda *_: None)
    loaded, total = _figures_loaded(browser, out["html"], tmp_path)
    assert total >= 1 and loaded == total
    # the check itself can fail: a corrupt embedded PNG is reported as not loaded
    bad = tmp_path / "bad.html"
    bad.write_text(f"<html><head><script>{_SCRIPT}</script></head><body>"
                   "<img src='data:image/png;base64,AAAA'></body></html>")
    assert _figures_loaded(browser, bad, tmp_path) == (0, 1)
