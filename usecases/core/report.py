"""Self-contained HTML reports: figures (interactive Plotly, its JavaScript embedded once), tables,
assumptions and model cards. The file needs no network to open."""

from __future__ import annotations

import datetime as _dt
import html
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

CSS = """
body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#0f172a;max-width:1100px;margin:32px auto;padding:0 20px}
h1{font-size:1.8rem;margin-bottom:4px} h2{margin-top:36px;border-bottom:2px solid #e2e8f0;padding-bottom:4px} h3{margin-top:22px}
.meta{color:#64748b;font-size:.9rem} .kpis{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.kpi{border:1px solid #e2e8f0;border-radius:10px;padding:10px 14px;min-width:150px} .kpi .l{color:#64748b;font-size:.8rem} .kpi .v{font-size:1.35rem;font-weight:600}
table{border-collapse:collapse;margin:8px 0;font-size:.88rem} th,td{border:1px solid #e2e8f0;padding:4px 8px;text-align:right} th{background:#f3f6fb}
td:first-child,th:first-child{text-align:left} details{margin:10px 0} pre{background:#f3f6fb;padding:10px;border-radius:8px;overflow:auto;font-size:.8rem}
.note{color:#475569;font-size:.9rem}
"""


@dataclass
class Section:
    title: str
    text: str = ""
    kpis: list[tuple[str, str]] = field(default_factory=list)
    figures: list[tuple[str, Any]] = field(default_factory=list)  # (caption, plotly figure)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    assumptions: dict[str, Any] = field(default_factory=dict)
    card: dict | None = None


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, border=0, float_format=lambda x: f"{x:,.4g}", escape=True)


def build_html(title: str, sections: list[Section], *, subtitle: str = "") -> str:
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<div class='meta'>{html.escape(subtitle)} Generated {_dt.datetime.now().strftime('%Y-%m-%d %H:%M')} by AI Use-Case Lab. "
             "Figures depend on the stated assumptions; simulated or synthetic data are labelled as such.</div>"]
    plotly_js_done = False
    for s in sections:
        parts.append(f"<h2>{html.escape(s.title)}</h2>")
        if s.text:
            parts.append(f"<p class='note'>{html.escape(s.text)}</p>")
        if s.kpis:
            parts.append("<div class='kpis'>" + "".join(f"<div class='kpi'><div class='l'>{html.escape(str(l))}</div><div class='v'>{html.escape(str(v))}</div></div>"
                                                         for l, v in s.kpis) + "</div>")
        for caption, fig in s.figures:
            if caption:
                parts.append(f"<h3>{html.escape(caption)}</h3>")
            parts.append(fig.to_html(full_html=False, include_plotlyjs=not plotly_js_done, config={"displaylogo": False}))
            plotly_js_done = True
        for caption, df in s.tables:
            parts.append(f"<h3>{html.escape(caption)}</h3>{_table(df)}")
        if s.assumptions:
            parts.append("<h3>Assumptions</h3>" + _table(pd.DataFrame({"assumption": list(s.assumptions), "value": [str(v) for v in s.assumptions.values()]})))
        if s.card:
            parts.append("<details><summary>Model card</summary><pre>" + html.escape(json.dumps(s.card, indent=2, default=str)) + "</pre></details>")
    parts.append("</body></html>")
    return "\n".join(parts)


def assumptions_table(obj) -> dict[str, str]:
    """Readable ``label (unit): value`` rows of an assumptions dataclass."""
    from .business import fields_of

    return {f"{f.label} ({f.unit})": f"{getattr(obj, f.name):,g}" for f in fields_of(obj)}
