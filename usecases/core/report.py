"""Self-contained HTML reports: figures (interactive Plotly, its JavaScript embedded once, compressed),
KPIs, tables, assumptions and model cards, in the app's colours. The file needs no network to open."""

from __future__ import annotations

import datetime as _dt
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from pathlib import Path

import numpy as np
import pandas as pd

CSS = """
body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#0f172a;max-width:1100px;margin:32px auto;padding:0 20px}
h1{font-size:1.8rem;margin-bottom:4px} h2{margin-top:36px;border-bottom:2px solid #e2e8f0;padding-bottom:4px} h3{margin-top:22px}
.meta{color:#64748b;font-size:.9rem} .kpis{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.kpi{border:1px solid #e2e8f0;border-radius:10px;padding:10px 14px;min-width:150px} .kpi .l{color:#64748b;font-size:.8rem} .kpi .v{font-size:1.35rem;font-weight:600} .kpi .h{color:#64748b;font-size:.78rem;max-width:320px;margin-top:4px}
table{border-collapse:collapse;margin:8px 0;font-size:.88rem} th,td{border:1px solid #e2e8f0;padding:4px 8px;text-align:right} th{background:#f3f6fb}
td:first-child,th:first-child{text-align:left} details{margin:10px 0} pre{background:#f3f6fb;padding:10px;border-radius:8px;overflow:auto;font-size:.8rem}
.note{color:#475569;font-size:.9rem}
.says{margin:10px 0;padding:0;list-style:none} .says li{margin:6px 0;padding:6px 10px;border-left:4px solid #cbd5e1;background:#f8fafc;font-size:.92rem}
.says li.success{border-color:#22c55e} .says li.info{border-color:#0068c9} .says li.warning{border-color:#f59e0b;background:#fffbeb}
.says li.error{border-color:#ef4444;background:#fef2f2} .says li.caption{color:#475569}
"""


# Streamlit's chart palette, so exported figures look like the app's.
COLORS = ("#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700", "#ffd16a", "#6d3fc0", "#94a3b8")
TEMPLATE_NAME = "uclab"


def register_template() -> None:
    """Register the shared Plotly template (white background, the palette above, axes that fit their labels)."""
    import plotly.graph_objects as go
    import plotly.io as pio

    if TEMPLATE_NAME in pio.templates:
        return
    t = go.layout.Template(pio.templates["plotly_white"])
    t.layout.colorway = list(COLORS)
    t.layout.font = dict(family="-apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif", size=13, color="#0f172a")
    t.layout.xaxis.automargin = True
    t.layout.yaxis.automargin = True
    t.layout.margin = dict(l=10, r=10, t=50, b=10)
    pio.templates[TEMPLATE_NAME] = t


@dataclass
class Section:
    title: str
    text: str = ""
    kpis: list[tuple[str, ...]] = field(default_factory=list)  # (label, value) or (label, value, what it is)
    figures: list[tuple[str, Any]] = field(default_factory=list)  # (caption, plotly figure)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    assumptions: dict[str, Any] = field(default_factory=dict)
    card: dict | None = None
    # What the page says in words beside its figures — verdicts, warnings, the lines that work a figure out — as (kind, text),
    # kind "success", "info", "warning", "error" or "caption". The page reports had carried the tiles and tables without them:
    # €10.7k beside the random forest's €8.9k with no "a tie in money", triage's −€4.0k with no "not priced" (a walkthrough,
    # 2026-12-07).
    notes: list[tuple[str, str]] = field(default_factory=list)

    def say(self, kind: str, text: str) -> None:
        t = plain(text)
        if t and (kind, t) not in self.notes:  # a page run draws some lines twice (a tab and its summary)
            self.notes.append((kind, t))


_ICON = re.compile(r":material/[a-z0-9_]+:\s*")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")  # *word* but not 2 * 3 * 4 or a**b
_DIRECTIVE = re.compile(r":(?:[a-z]+-badge|red|green|orange|blue|violet|gray|grey|rainbow|primary)\[([^\]]*)\]")


def plain(text: str) -> str:
    """A page's Markdown line as plain text for a report: no bold marks, code ticks, icon codes or colour directives."""
    t = _DIRECTIVE.sub(r"\1", _ICON.sub("", str(text)))
    t = t.replace("**", "").replace("`", "").replace("\\$", "$").replace("  \n", "\n")
    t = _EMPHASIS.sub(r"\1", t)  # *looks like* (the text page's "It writes text that *looks like* …" kept its asterisks)
    return t.strip()


def _cell(v) -> str:
    from .fmt import DASH, metric, number

    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return DASH
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        x = float(v)
        if x != int(x) and abs(x) < 1 and round(x, 3) != 0:  # a metric as the pages write it: 0.066, not 0.0664 (an exports sweep)
            return metric(x)
        return number(x, 3) if abs(x) < 1000 else number(x, 0)
    return str(v)


def _table(df: pd.DataFrame) -> str:
    from .fmt import headers
    from .fmt import metric as fmt_metric

    out = df.copy()
    for c in out.columns:
        vals = pd.to_numeric(out[c], errors="coerce") if out[c].dtype != object else None
        finite = vals[np.isfinite(vals)] if vals is not None else None
        if finite is not None and len(finite) and (finite.abs() < 1000).all() and (finite != finite.round()).any():
            # a column of metrics at the pages' three decimals throughout: "Novelty 2.69" had stood beside "2.472" (a walkthrough)
            out[c] = [fmt_metric(v) if isinstance(v, (float, np.floating)) and np.isfinite(v) and v != round(v) and round(v, 3) != 0
                      else _cell(v) for v in out[c]]
        else:
            out[c] = out[c].map(_cell)
    out.columns = [headers(c) for c in out.columns]
    return out.to_html(index=False, border=0, escape=True)


ASSET = Path(__file__).resolve().parent / "assets" / "plotly-cartesian-4.1.1.min.js.gz"

# Decompresses the embedded plotly.js once (DecompressionStream: every current browser), then draws
# every figure from its JSON. Works offline from a file:// URL.
_LOADER = """<script>
(async function () {
  const b64 = document.getElementById("plotly-gz").textContent.trim();
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const text = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  (0, eval)(text);
  document.querySelectorAll("script[type='application/vnd.uclab.figure+json']").forEach(el => {
    const spec = JSON.parse(el.textContent);
    window.Plotly.newPlot(el.previousElementSibling, spec.data, spec.layout, {displaylogo: false, responsive: true});
  });
  document.body.setAttribute("data-figures-drawn", "true");
})();
</script>"""


def _figure_html(fig, i: int) -> str:
    spec = fig.to_json().replace("</", "<\\/")  # no "</script>" can end the block early
    return (f"<div class='fig' id='fig-{i}' style='height:{int(fig.layout.height or 380)}px'></div>"
            f"<script type='application/vnd.uclab.figure+json'>{spec}</script>")


def training_times(card: dict) -> tuple[float | None, float | None]:
    """(the model's own training seconds, the whole run's — with the peers and the evaluation — or None when they are the
    same). Cards count them two ways: fraud and triage keep the networks' time apart (``networks_seconds``) within
    ``training_seconds``; recommendation's ``training_seconds`` is the model's tuning and fit alone, the run in
    ``total_seconds``. One reading for the CLI's "saved" line and the reports (a report had said 9.8 s of a 35 s run)."""
    own, whole = card.get("training_seconds"), card.get("total_seconds")
    if isinstance(card.get("networks_seconds"), (int, float)):
        own, whole = card["networks_seconds"], card.get("training_seconds")
    if not isinstance(own, (int, float)):
        return None, None
    # a whole run within a tenth (and a second) of the model's is the model's: the text card's 101 s and 102 s had been said
    # as "101 s for the model, 102 s in all with the peers" of a model that has none (a review, 2026-12-07)
    return float(own), (float(whole) if isinstance(whole, (int, float)) and whole > 1.1 * own + 1 else None)


def whole_run_words(card: dict) -> str:
    """What the whole run holds besides the model's own training, in words: the text model has no peers — its run prepares the
    corpus and the n-gram and writes the sample drafts ("18.1s for the model, 147.6s in all with the peers" had been said of
    it; a sweep, 2026-12-07)."""
    if card.get("usecase") == "textgen":
        return "with preparing the corpus and the n-gram and writing the sample drafts"
    return "with the peers and the evaluation"


def card_brief(card: dict) -> list[tuple[str, str]]:
    """The fields of a model card a reader asks first, in words: what it is, its size, what it learned from and was tested on,
    when and where it was trained, and how to find it again. Fields a card lacks are left out."""
    from usecases.core import fmt

    model, data = card.get("model") or {}, card.get("data") or {}
    params = card.get("parameter_count") or (model.get("parameters") if isinstance(model, dict) else None)
    device = (card.get("device") or {}).get("name")
    seconds, whole = training_times(card)
    secs = lambda x: f"{fmt.count(x)} s" if x >= 10 else f"{x:.1f} s"  # noqa: E731
    rows = [
        ("What it is", model.get("architecture") if isinstance(model, dict) else None),
        ("Parameters", fmt.count(params) if isinstance(params, (int, float)) else None),
        ("Learned from", data.get("source")),
        # (a split written as code — the text model's "int(sha256(module name)[:8], 16) % 100 < 5" — is left to the page's text)
        ("Tested on", data.get("split") if "sha256(" not in str(data.get("split", "")) else None),
        ("Trained", str(card.get("created_at") or "")[:16].replace("T", " ") or None),
        ("Training time", secs(seconds) + (f" for the model, {secs(whole)} in all {whole_run_words(card)}" if whole else "")
         + (f" on {device}" if device else "") if seconds is not None else None),
        ("Run id", card.get("run_id")),
        ("Weights (SHA-256)", str(card["sha256"])[:16] + "…" if card.get("sha256") else None),
    ]
    return [(k, str(v)) for k, v in rows if v not in (None, "")]


def build_html(title: str, sections: list[Section], *, subtitle: str = "") -> str:
    """A self-contained report: the same charts as the app (plotly.js embedded once, compressed), KPIs,
    tables with numbers formatted by type, assumptions and model cards. Opens offline."""
    import base64

    register_template()
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<div class='meta'>{html.escape(subtitle)} Generated {_dt.datetime.now().strftime('%Y-%m-%d %H:%M')} by AI Use-Case Lab. "
             "Figures depend on the stated assumptions; simulated or synthetic data are labelled as such.</div>"]
    n_fig = 0
    for s in sections:
        parts.append(f"<h2>{html.escape(s.title)}</h2>")
        if s.text:
            parts.append(f"<p class='note'>{html.escape(s.text)}</p>")
        if s.kpis:
            # (label, value) or (label, value, what it is): the explanation in small type under the value — Home's report had set
            # each tile's whole tooltip in the value's headline type, five lines of it per tile (a walkthrough, 2026-12-07)
            parts.append("<div class='kpis'>" + "".join(
                f"<div class='kpi'><div class='l'>{html.escape(str(k[0]))}</div><div class='v'>{html.escape(str(k[1]))}</div>"
                + (f"<div class='h'>{html.escape(str(k[2]))}</div>" if len(k) > 2 and k[2] else "") + "</div>" for k in s.kpis) + "</div>")
        if s.notes:  # verdicts and warnings first, then the lines that explain the figures, each in the page's order
            ordered = sorted(s.notes, key=lambda n: n[0] == "caption")
            parts.append("<h3>What the page says</h3><ul class='says'>" + "".join(
                f"<li class='{html.escape(k)}'>{html.escape(t).replace(chr(10), '<br>')}</li>" for k, t in ordered) + "</ul>")
        for caption, fig in s.figures:
            if caption:
                parts.append(f"<h3>{html.escape(caption)}</h3>")
            if tuple(fig.layout.template.layout.colorway or ()) != COLORS:  # e.g. made under Streamlit's colourless template
                fig = go_figure_with_template(fig)
            parts.append(_figure_html(fig, n_fig))
            n_fig += 1
        for caption, df in s.tables:
            parts.append(f"<h3>{html.escape(caption)}</h3>{_table(df)}")
        if s.assumptions:
            parts.append("<h3>Assumptions</h3>" + _table(pd.DataFrame({"assumption": list(s.assumptions), "value": [str(v) for v in s.assumptions.values()]})))
        if s.card:
            brief = card_brief(s.card)
            if brief:  # a reader sees what the model is before the raw card (the report had ended with the JSON alone)
                parts.append("<h3>The model in brief</h3>" + _table(pd.DataFrame({"": [k for k, _ in brief], "value": [v for _, v in brief]})))
            parts.append("<details><summary>Model card (every field, as stored)</summary><pre>" + html.escape(json.dumps(s.card, indent=2, default=str)) + "</pre></details>")
    if n_fig:
        parts.append(f"<script type='text/plain' id='plotly-gz'>{base64.b64encode(ASSET.read_bytes()).decode()}</script>{_LOADER}")
    parts.append("</body></html>")
    return "\n".join(parts)


def go_figure_with_template(fig):
    """A copy of ``fig`` drawn with the shared template (for figures made before it was the default)."""
    import plotly.graph_objects as go

    f = go.Figure(fig)
    f.update_layout(template=TEMPLATE_NAME)
    return f


def assumptions_table(obj) -> dict[str, str]:
    """Readable ``label (unit): value`` rows of an assumptions dataclass; a share in per cent, as the pages' inputs show it
    (the reports wrote "Margin … (share) 0.4" beside the page's 40.0 %)."""
    from .business import fields_of

    from .fmt import number

    return {(f"{f.label} ({f.percent_unit})" if f.is_share else f"{f.label} ({f.unit})"):
            (f"{number(100 * getattr(obj, f.name), 4)} %" if f.is_share else number(getattr(obj, f.name), 4)) for f in fields_of(obj)}
