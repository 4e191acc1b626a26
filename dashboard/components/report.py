"""Report export buttons: one self-contained HTML file per page, and one for the whole portfolio."""

from __future__ import annotations

import re

import streamlit as st

from usecases.core.report import Section, assumptions_table, build_html

_KEY = "_report_sections"


def start(title: str) -> Section:
    """Begin collecting what this page shows for its report."""
    sec = Section(title=title)
    st.session_state[_KEY] = sec
    return sec


def section() -> Section:
    return st.session_state.setdefault(_KEY, Section(title="Report"))


def figure(fig, caption: str = "") -> None:
    section().figures.append((caption, fig))


def table(df, caption: str) -> None:
    section().tables.append((caption, df))


def kpis(items) -> None:
    section().kpis.extend((i[0], i[1]) for i in items)


def download(*, assumptions=None, card: dict | None = None, text: str = "") -> None:
    sec = section()
    if assumptions is not None:
        sec.assumptions.update(assumptions_table(assumptions))
    if card is not None:
        sec.card = card
    if text:
        sec.text = text
    html = build_html(f"{sec.title} — AI Use-Case Lab report", [sec])
    name = re.sub(r"[^a-z0-9]+", "-", sec.title.lower()).strip("-")
    st.download_button("Download this page as an HTML report", html.encode("utf-8"), file_name=f"{name}-report.html", mime="text/html",
                       icon=":material/description:", key=f"report-{name}")


def portfolio_download(values, pa) -> None:
    """The whole portfolio: the Home figures plus one section per use case from its card."""
    import pandas as pd

    import usecases
    from usecases.core import business
    from usecases.core.store import ModelUnusable

    from .state import holder

    home = section()
    home.title = "Portfolio"
    home.assumptions.update(assumptions_table(pa))
    secs = [home]
    for name in usecases.NAMES:
        mod = usecases.get(name)
        try:
            t = holder().get(name)
        except ModelUnusable as exc:
            secs.append(Section(title=mod.SPEC.title, text=str(exc)))
            continue
        c = t.card
        rows = [{"model": "this model", **{k: v for k, v in c["metrics"].items() if isinstance(v, (int, float))}}]
        rows += [{"model": n, **{k: v for k, v in m.items() if isinstance(v, (int, float))}} for n, m in c.get("baselines", {}).items()]
        v = next((x for x in values if x.name == name), None)
        secs.append(Section(title=mod.SPEC.title, text=f"{mod.SPEC.purpose} Data: {c['data']['source']}. Split: {c['data']['split']}.",
                            kpis=[(mod.SPEC.primary_label, f"{c['metrics'].get(mod.SPEC.primary_metric, float('nan')):.3f}")] +
                                 ([("Net value / month", f"{business.money(v.monthly[1])} ({business.money(v.monthly[0])} – {business.money(v.monthly[2])})")] if v else []),
                            tables=[("Model vs baselines (same data, same split)", pd.DataFrame(rows))], card=c))
    html = build_html("AI Use-Case Lab — portfolio report", secs)
    st.download_button("Download the portfolio report (HTML)", html.encode("utf-8"), file_name="portfolio-report.html", mime="text/html",
                       icon=":material/description:", key="report-portfolio", type="primary")
