"""Report export buttons: one self-contained HTML file per page, and one for the whole portfolio."""

from __future__ import annotations

import re

import streamlit as st

from usecases.core.report import Section, assumptions_table, build_html

from . import charts  # noqa: F401  (registers the shared chart template before any figure is made)

_KEY = "_report_sections"


def start(title: str) -> Section:
    """Begin collecting what this page shows for its report."""
    sec = Section(title=title)
    st.session_state[_KEY] = sec
    return sec


def section() -> Section:
    return st.session_state.setdefault(_KEY, Section(title="Report"))


def say(show, text: str, **kwargs) -> None:
    """Show a line on the page (``st.warning``, ``st.info``, ``st.caption`` …) and put it in the page's report, so the report
    carries the verdicts, warnings and workings the page shows beside its figures, in the page's words."""
    show(text, **kwargs)
    kind = getattr(show, "__name__", "caption")  # a Markdown paragraph is a working, not a verdict: listed after them
    section().say(kind if kind in ("success", "info", "warning", "error") else "caption", text)


def figure(fig, caption: str = "") -> None:
    section().figures.append((caption, fig))


def table(df, caption: str) -> None:
    section().tables.append((caption, df))


def kpis(items) -> None:
    """(label, value) or (label, value, what it is — set in small type under the value)."""
    section().kpis.extend(tuple(i[:3]) if len(i) > 2 and i[2] else (i[0], i[1]) for i in items)


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


def comparison_rows(ev):
    """One row per model with every metric; a relative column says so (the text section's "vs_ngram −0.206" sat beside Home's
    "−0.288 vs best baseline", a difference of bits, with nothing to tell the two apart)."""
    import pandas as pd

    rows = [{"model": ev.label(n), **{k: x for k, x in m.items() if isinstance(x, (int, float))}}
            for n, m in (("model", ev.model), *ev.baselines.items())]
    from usecases.core import fmt

    df = pd.DataFrame(rows)
    if "val_bpc" in df.columns and getattr(ev, "bpc_repeats_bpb", False):
        df = df.drop(columns="val_bpc")  # as the text page: on (nearly) one-byte text they repeat bits per byte (a walkthrough)
    rel = [c for c in df.columns if c.startswith("vs_")]
    for c in rel:  # in per cent, as the page says it ("21 % fewer"): the report wrote −0.206 (a walkthrough, 2026-12-07)
        df[c] = [fmt.rate(x, 1) if isinstance(x, (int, float)) and x == x else None for x in df[c]]
    return df.rename(columns={c: f"{c[3:].replace('ngram', 'n-gram')}: relative change of the model" for c in rel})


def use_case_section(spec, ev, v=None, asm=None) -> Section:
    """A use case's section of the portfolio report: its purpose and the rows it was measured on; under *What the page says*
    the verdict, what the verdict hides (``Evaluation.caveat``) as a warning — as Home's card shows it (it had stood in the
    grey paragraph, where triage's level-1 comparison with the nurse read as a footnote; a walkthrough, 2026-12-07) — and
    the card's line on how its net value is made; its primary metric and net value; the model against its baselines; the
    assumptions it was priced under."""
    from usecases.core import fmt

    kpis = [(spec.primary_label, fmt.metric(ev.model.get(spec.primary_metric)))]
    if v is not None:
        kpis.append(("Net value / month (after system cost)", fmt.span(*v.monthly)))
    sec = Section(title=spec.title, text=f"{spec.purpose} Data: {ev.data.source}. Rows: {ev.data.split}.", kpis=kpis,
                  tables=[("Model vs baselines (same rows)", comparison_rows(ev))],
                  assumptions=assumptions_table(asm) if asm is not None else {})
    verdict = ev.verdict()
    sec.say("success" if verdict.winner == "model" else "info" if verdict.tie else "warning", verdict.sentence)
    if caveat := ev.caveat():
        sec.say("warning", caveat)
    if v is not None:  # the card's line under its tiles: how the net value is made ("… − €20.8k running cost = €10.7k net",
        sec.say("caption", v.headline)  # "not priced, so the net is the running cost"); the report had the figure alone
    return sec


def portfolio_download(values, evaluations: dict, pa, assumptions: dict | None = None) -> None:
    """The whole portfolio: Home's figures plus one section per use case — verdict, model vs baselines
    on the same rows, net value per month with its range, and the assumptions it was priced under (``assumptions``: use
    case → its assumptions object; the report had listed Home's five inputs alone beside figures priced at a fraud volume
    and a margin it did not show) — from the same evaluations and values as the cards."""
    import usecases

    home = section()
    home.title = "Portfolio"
    home.assumptions.update(assumptions_table(pa))
    secs = [home]
    by_name = {v.usecase: v for v in values}
    for name in usecases.NAMES:
        spec = usecases.get(name).SPEC
        ev = evaluations.get(name)
        if ev is None:
            secs.append(Section(title=spec.title, text="No usable model: open its page to train it."))
            continue
        secs.append(use_case_section(spec, ev, by_name.get(name), (assumptions or {}).get(name)))
    html = build_html("AI Use-Case Lab — portfolio report", secs)
    st.download_button("Download the portfolio report (HTML)", html.encode("utf-8"), file_name="portfolio-report.html", mime="text/html",
                       icon=":material/description:", key="report-portfolio", type="primary")
