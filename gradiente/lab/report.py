"""The lab's report, written from the store without training.

For every experiment: the claim, the seed section that makes it, the figures,
the table, the measured cost of each run (parameters, FLOPs per sample, time,
peak memory) and one sentence, computed by the experiment's ``verdict`` from
the stored numbers, saying whether the result supports the claim.

Outputs, under the output folder: ``report.html`` (self-contained: CSS inline,
figures embedded as base64 PNG), ``figures/<experiment>/*.png``,
``summary.md``; a summary table is printed in the terminal.
"""
import base64
import html
import math
import os
import shutil
import traceback

from .experiment import registry
from .store import Store

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
.claim{font-style:italic} .ref{color:#666;font-size:.9em}
.verdict{padding:.5em .8em;border-radius:4px;margin:.8em 0}
.yes{background:#e5f5e5;border-left:4px solid #2a2} .no{background:#fbe7e7;border-left:4px solid #c22}
.unk{background:#f2f2f2;border-left:4px solid #888}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0} td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}
th{background:#f5f5f5} td.s{text-align:left}
img{max-width:100%;border:1px solid #eee;margin:.4em 0}
pre{background:#f7f7f7;padding:.5em;overflow-x:auto;font-size:.8em}
nav li{margin:.1em 0}
"""

# marks the page with how many figures the browser could decode (read by the browser test)
_SCRIPT = """
window.addEventListener('load',function(){var im=document.images,ok=0;
for(var i=0;i<im.length;i++){if(im[i].complete&&im[i].naturalWidth>0){ok++;}else{im[i].alt='figure failed to load';}}
document.body.setAttribute('data-figures-loaded',ok+'/'+im.length);});
"""


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display needed); ImportError names the extra."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError("the lab's figures need matplotlib: pip install 'gradiente[lab]'") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path, dpi=90):
    """Lay ``fig`` out, write it to ``path`` (a PNG) and close it; returns ``path``."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return path


def fmt(v):
    """A table cell: floats with 4 significant digits, lists shortened."""
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return str(v)
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.3e}"
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(fmt(x) for x in v[:6]) + (", ...]" if len(v) > 6 else "]")
    return str(v)


def select_runs(store, exp, quick=None):
    """The stored runs of ``exp`` for its quick or full configurations.

    With ``quick=None`` a complete set is preferred, then the one with more
    stored runs; the full set wins a tie.
    """
    if quick is None:
        full_cfgs, quick_cfgs = exp.configs(False), exp.configs(True)
        full = store.runs(exp.name, full_cfgs)
        small = store.runs(exp.name, quick_cfgs)
        full_score = (len(full) == len(full_cfgs), len(full))
        small_score = (len(small) == len(quick_cfgs), len(small))
        return (small, True) if small_score > full_score else (full, False)
    return store.runs(exp.name, exp.configs(quick)), quick


def _columns(rows):
    cols = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    return cols


def html_table(rows):
    if not rows:
        return "<p>(no rows)</p>"
    cols = _columns(rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = []
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c)
            cls = ' class="s"' if isinstance(v, str) else ""
            cells.append(f"<td{cls}>{html.escape(fmt(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def md_table(rows):
    if not rows:
        return "(no rows)\n"
    cols = _columns(rows)
    lines = ["| " + " | ".join(str(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join(fmt(r.get(c)).replace("|", "/") for c in cols) + " |")
    return "\n".join(lines) + "\n"


def cost_rows(runs):
    """Per-run measurements the runner recorded (the comparison axes of seed 000's table)."""
    rows = []
    for r in runs:
        label = ", ".join(f"{k}={v}" for k, v in r.config.items())
        m = r.meta
        rows.append({
            "run": label,
            "params": m.get("params"),
            "FLOPs/sample": m.get("flops_per_sample"),
            "time (s)": m.get("time_s"),
            "peak mem (MB)": None if m.get("peak_mem_bytes") is None else m["peak_mem_bytes"] / 2 ** 20,
        })
    return rows


def _verdict_words(supported):
    if supported is True:
        return "supported", "yes"
    if supported is False:
        return "not supported", "no"
    return "inconclusive", "unk"


def _section(store, name, fig_root, quick, log):
    """Compute everything one report section shows."""
    exp = registry[name]()
    sec = {"name": name, "title": exp.title or name, "claim": exp.claim, "seed_ref": exp.seed_ref,
           "figures": [], "rows": [], "costs": [], "supported": None, "sentence": "", "problems": []}
    try:
        runs, used_quick = select_runs(store, exp, quick)
    except Exception:
        sec["problems"].append("configs() failed:\n" + traceback.format_exc())
        runs, used_quick = [], quick
    sec["runs"] = len(runs)
    sec["quick"] = used_quick
    sec["errors"] = store.errors(name)
    if not runs:
        sec["sentence"] = "no finished runs are stored for this experiment; run `gradiente compare " + name + "`"
        return sec
    fig_dir = os.path.join(fig_root, name)
    if os.path.isdir(fig_dir):
        shutil.rmtree(fig_dir)
    os.makedirs(fig_dir, exist_ok=True)
    try:
        paths = exp.figure(runs, fig_dir) or []
        sec["figures"] = [p for p in paths if os.path.isfile(p)]
    except Exception:
        sec["problems"].append("figure() failed:\n" + traceback.format_exc())
    finally:
        try:
            pyplot().close("all")
        except ImportError:
            pass
    try:
        sec["rows"] = exp.table(runs) or []
    except Exception:
        sec["problems"].append("table() failed:\n" + traceback.format_exc())
    sec["costs"] = cost_rows(runs)
    try:
        supported, sentence = exp.verdict(runs)
        sec["supported"], sec["sentence"] = supported, sentence
    except Exception:
        sec["problems"].append("verdict() failed:\n" + traceback.format_exc())
        sec["sentence"] = "the verdict could not be computed (see the error below)"
    for p in sec["problems"]:
        log(f"[{name}] report: {p.strip().splitlines()[-1]}")
    return sec


def _img_tag(path):
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    alt = html.escape(os.path.basename(path))
    return f'<img alt="{alt}" src="data:image/png;base64,{data}">'


def _write_lines(path, lines):
    """Write the lines to ``path`` through a temporary file, so that a reader never sees half a report."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    os.replace(tmp, path)


def _write_html(path, sections, title, machine):
    from .. import __version__

    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{_CSS}</style><script>{_SCRIPT}</script></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p class='ref'>gradiente {html.escape(__version__)}; {html.escape(machine or '')}</p>"]
    n_yes = sum(1 for s in sections if s["supported"] is True)
    parts.append(f"<p>{len(sections)} experiments; {n_yes} support their claim.</p><nav><ol>")
    for s in sections:
        word, _ = _verdict_words(s["supported"])
        parts.append(f"<li><a href='#{s['name']}'>{html.escape(s['title'])}</a> ({word})</li>")
    parts.append("</ol></nav>")
    for s in sections:
        word, cls = _verdict_words(s["supported"])
        parts.append(f"<section id='{s['name']}'><h2>{html.escape(s['title'])}</h2>")
        parts.append(f"<p class='claim'>Claim: {html.escape(s['claim'])}</p>")
        mode = "quick configuration" if s.get("quick") else "full configuration"
        parts.append(f"<p class='ref'>{html.escape(s['seed_ref'])} &middot; experiment <code>{s['name']}</code>"
                     f" &middot; {s['runs']} runs ({mode})</p>")
        parts.append(f"<div class='verdict {cls}'><b>Result: {word}.</b> {html.escape(s['sentence'])}</div>")
        for p in s["figures"]:
            parts.append(_img_tag(p))
        if s["rows"]:
            parts.append(html_table(s["rows"]))
        if s["costs"]:
            parts.append("<details><summary>Cost of each run</summary>" + html_table(s["costs"]) + "</details>")
        for cfg, err in s.get("errors", []):
            last = (err or "").strip().splitlines()[-1:] or [""]
            parts.append(f"<p class='ref'>Failed run {html.escape(str(cfg))}: {html.escape(last[0])}</p>")
        for p in s["problems"]:
            parts.append(f"<pre>{html.escape(p)}</pre>")
        parts.append("</section>")
    parts.append("</body></html>")
    _write_lines(path, parts)


def _write_md(path, sections, out_dir, title):
    lines = [f"# {title}", ""]
    lines.append("| experiment | runs | result | why |")
    lines.append("|---|---|---|---|")
    for s in sections:
        word, _ = _verdict_words(s["supported"])
        lines.append(f"| {s['name']} | {s['runs']} | {word} | {s['sentence'].replace('|', '/')} |")
    lines.append("")
    for s in sections:
        word, _ = _verdict_words(s["supported"])
        lines += [f"## {s['title']}", "", f"*Claim:* {s['claim']}", "", f"*Source:* {s['seed_ref']}", "",
                  f"**Result: {word}.** {s['sentence']}", ""]
        for p in s["figures"]:
            rel = os.path.relpath(p, out_dir).replace(os.sep, "/")
            lines += [f"![{s['name']}]({rel})", ""]
        if s["rows"]:
            lines += [md_table(s["rows"])]
    _write_lines(path, lines)


def terminal_table(sections, width=100):
    """The summary printed at the end of ``gradiente compare`` / ``gradiente report``."""
    rows = [("experiment", "runs", "result", "why")]
    for s in sections:
        word, _ = _verdict_words(s["supported"])
        rows.append((s["name"], str(s["runs"]), word, s["sentence"]))
    w0 = max(len(r[0]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    room = max(20, width - w0 - w2 - 12)
    out = []
    for i, (a, b, c, d) in enumerate(rows):
        d = d if len(d) <= room else d[: room - 3] + "..."
        out.append(f"{a:<{w0}}  {b:>4}  {c:<{w2}}  {d}")
        if i == 0:
            out.append("-" * min(width, w0 + w2 + room + 10))
    return "\n".join(out)


def build_report(out="gradiente-results", names=None, store_path=None, quick=None, log=print,
                 title="gradiente lab report"):
    """Write report.html, figures/ and summary.md under ``out`` from the store; return their paths.

    ``names`` limits the report to some experiments (default: every registered
    experiment, so one without results shows as such). Nothing is trained.
    """
    store_path = store_path or os.path.join(out, "results.sqlite")
    if not os.path.isfile(store_path):
        raise FileNotFoundError(f"gradiente report: no results store at {store_path}; run `gradiente compare` first")
    os.makedirs(out, exist_ok=True)
    fig_root = os.path.join(out, "figures")
    os.makedirs(fig_root, exist_ok=True)
    names = list(names) if names else list(registry)
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"unknown experiment(s) {', '.join(unknown)}; known experiments: {', '.join(registry)}")
    store = Store(store_path)
    try:
        sections = [_section(store, n, fig_root, quick, log) for n in names]
        machines = {m for m in (store.conn.execute("SELECT DISTINCT machine FROM runs").fetchall()) if m[0]}
    finally:
        store.close()
    machine = "; ".join(sorted(m[0] for m in machines))
    html_path = os.path.join(out, "report.html")
    md_path = os.path.join(out, "summary.md")
    _write_html(html_path, sections, title, machine)
    _write_md(md_path, sections, out, title)
    log(terminal_table(sections, width=shutil.get_terminal_size((110, 20)).columns))
    log(f"report: {html_path}")
    return {"html": html_path, "markdown": md_path, "figures": fig_root, "sections": sections}
