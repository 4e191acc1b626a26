"""Small reusable widgets: KPI rows, error messages, safe downloads, model cards, assumption forms."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, Iterable

import pandas as pd
import streamlit as st

from usecases.core import business
from usecases.core.tables import to_safe_csv


def kpi_row(items: Iterable[tuple[str, str] | tuple[str, str, str]], widths: list[float] | None = None) -> None:
    """A row of ``st.metric`` tiles: (label, value[, help]); ``widths`` gives a long value room ("60.15 → 58…" was cut)."""
    items = list(items)
    cols = st.columns(widths if widths and len(widths) == len(items) else len(items))
    for col, item in zip(cols, items):
        label, value, *rest = item
        col.metric(label, value, help=rest[0] if rest else None, border=True)


def show_problem(exc: BaseException) -> None:
    """One clear message for a user-caused problem (never a traceback)."""
    st.error(str(exc), icon=":material/error:")


def download_csv(df: pd.DataFrame, filename: str, label: str = "Download CSV", key: str | None = None) -> None:
    """Download with formula cells neutralised (``=``, ``+``, ``-``, ``@`` get a leading quote)."""
    st.download_button(label, to_safe_csv(df), file_name=filename, mime="text/csv", key=key, icon=":material/download:")


def _training_time(card: dict) -> str:
    from usecases.core.report import training_times, whole_run_words

    own, whole = training_times(card)  # recommendation's card keeps its fit apart from the run: say both, as the CLI does
    if own is None:
        return "not recorded"
    return f"{own:.1f} s" + (f" for the model, {whole:.1f} s in all {whole_run_words(card)}" if whole else "")


def card_rows(card: dict) -> list[tuple[str, str]]:
    """The card's summary as (field, value). The store fills version, date, parameter count and hash when it saves a model;
    a model trained in this session and not saved has none of them, and its card read "Parameters 0", blank fields and
    "Weights sha256 …"."""
    dev = card.get("device", {})
    saved = bool(card.get("sha256"))
    unsaved = "— (not saved: this session only)"
    params = card.get("parameter_count") or (card.get("model") or {}).get("parameters")
    return [
        ("Use case", card.get("usecase") or "—"),
        ("Version", card.get("version") or unsaved),
        ("Created", card.get("created_at") or unsaved),
        ("Code revision", card.get("code_revision") or "unknown"),
        ("Data", card.get("data", {}).get("source")),
        ("Data fingerprint", card.get("data", {}).get("fingerprint")),
        ("Split", card.get("data", {}).get("split")),
        ("Parameters", f"{int(params):,}" if isinstance(params, (int, float)) and params else "counted when saved" if not saved else "—"),
        ("Trained on", dev.get("name") if isinstance(dev, dict) else dev),
        ("Training time", _training_time(card)),
        ("Weights sha256", card["sha256"][:16] + "…" if saved else unsaved),
    ]


def model_card(card: dict, *, title: str = "Model card") -> None:
    """The card as a readable summary plus the raw JSON."""
    if not card:
        st.info("No model card: this model has not been saved to the store.")
        return
    with st.expander(title, expanded=False):
        st.table(pd.DataFrame(card_rows(card), columns=["field", "value"]).astype(str).set_index("field"))
        st.download_button(
            "Download card.json", json.dumps(card, indent=2).encode(), file_name=f"{card.get('usecase', 'model').replace('/', '-')}-card.json",
            mime="application/json", key=f"card-{card.get('usecase')}-{card.get('version')}",
        )
        st.json(card, expanded=False)


def _fmt_unit(unit: str, label: str = "") -> str:
    """" (unit)" after a label, unless the label already names it ("Sessions per month (sessions)" said it twice)."""
    word = unit.lower().rstrip("s")
    if not unit or (len(word) >= 3 and re.search(rf"\b{re.escape(word)}", label.lower())):
        return ""
    return f" ({unit})"


def assumption_input(obj: Any, name: str, key: str, *, label: str | None = None) -> float:
    """One number input for assumption ``name`` of ``obj`` (unit, bounds, help, source, range)."""
    f = next(x for x in business.fields_of(obj) if x.name == name)
    cur = getattr(obj, f.name)
    is_int = isinstance(f.default, int) and not isinstance(f.default, bool)
    help_parts = [f.help] if f.help else []
    if f.low is not None or f.high is not None:
        help_parts.append(f"Low / high scenario value: {f.low if f.low is not None else cur:g} / {f.high if f.high is not None else cur:g}.")
    if f.source:
        help_parts.append(f"Source: {f.source}")
    cast = int if is_int else float
    wkey = f"{key}.{f.name}"
    v = st.session_state.get(wkey, cur)
    try:  # a value from a URL or scenario file: right type, inside the allowed range
        v = cast(v)
        if f.min is not None:
            v = max(cast(f.min), v)
        if f.max is not None:
            v = min(cast(f.max), v)
    except (TypeError, ValueError, OverflowError):
        v = cast(cur)
    st.session_state[wkey] = v
    if f.is_share and not is_int:
        return _percent_input(f, wkey, v, label, help_parts)
    return st.number_input(
        label or (f.label + _fmt_unit(f.unit, f.label)),
        min_value=cast(f.min) if f.min is not None else None,
        max_value=cast(f.max) if f.max is not None else None,
        step=cast(f.step) if f.step is not None else (1 if is_int else None),
        format=_input_format(f, is_int),
        help="  \n".join(help_parts) or None,
        key=wkey,
    )


def _percent_input(f, wkey: str, share: float, label: str | None, help_parts: list[str]) -> float:
    """A share typed and shown in per cent (40 %, as the page's text says it), stored as the share (0.40) under ``wkey`` —
    the key the scenario file and the URL keep, so saved scenarios read as before. The input has a key of its own (``wkey``
    + "%", not tracked by the scenario); its on-change writes the share back, and a share changed elsewhere (a scenario
    loaded, a reset) resets the per-cent box. Until 2026-12-03 these inputs showed 0.40 beside text that said 40 %."""
    pkey = wkey + "%"

    def pct(x: float) -> float:
        return round(float(x) * 100, 6)

    if pkey not in st.session_state or abs(float(st.session_state[pkey]) - pct(share)) > 1e-6:
        st.session_state[pkey] = pct(share)

    def write_back() -> None:
        st.session_state[wkey] = round(float(st.session_state[pkey]) / 100, 8)

    help_parts = [h.replace(f"{f.low:g} / {f.high:g}", f"{pct(f.low):g} % / {pct(f.high):g} %") if f.low is not None and f.high is not None
                  else h for h in help_parts]
    st.number_input(
        f"{label} (%)" if label else f"{f.label} ({f.percent_unit})",  # "Discount rate (% per year)"
        min_value=pct(f.min) if f.min is not None else None,
        max_value=pct(f.max) if f.max is not None else None,
        step=pct(f.step) if f.step is not None else None,
        format="%.2f" if f.step is not None and pct(f.step) < 1 else "%.1f",
        help="  \n".join(help_parts) or None,
        key=pkey,
        on_change=write_back,
    )
    return float(st.session_state[wkey])


def _input_format(f, is_int: bool) -> str | None:
    """Whole amounts (a yearly cost of 250,000 €) without Streamlit's default two decimals; small
    fractions (a rate of 1.5 per 10,000) keep them."""
    if is_int:
        return None
    whole = float(f.default).is_integer() and (f.step is None or float(f.step).is_integer())
    return "%.0f" if whole and abs(float(f.default)) >= 100 else None


def assumptions_form(obj: Any, key: str, *, columns: int = 2, fields: Iterable[str] | None = None) -> Any:
    """Number inputs for the assumptions of ``obj`` (all, or ``fields``); returns a new, checked instance.

    Widget keys are ``f"{key}.{field}"`` so scenarios and URLs can address them.
    """
    names = list(fields) if fields is not None else [f.name for f in business.fields_of(obj)]
    cols = st.columns(columns)
    values = {}
    for i, name in enumerate(names):
        with cols[i % columns]:
            values[name] = assumption_input(obj, name, key)
    new = dataclasses.replace(obj, **values)
    business.check(new)
    if fixed := business.held_fixed(new, names):
        st.caption(f":material/push_pin: Held at your value in the low and high cases too: {', '.join(fixed)} — the low – high "
                   "range moves only the assumptions still at their defaults.")
    return new


def reset_button(prefix: str, label: str = "Reset to defaults") -> None:
    """Clear every value under ``prefix`` (widgets, scenario, URL) so defaults come back."""
    from . import scenario

    if st.button(label, key=f"reset-{prefix}", icon=":material/restart_alt:"):
        scenario.reset(prefix)
        st.rerun()


def comparison(ev: Any, *, metrics: Iterable[str] | None = None, lower_better: Iterable[str] = (), labels: dict[str, str] | None = None,
               extra_rows: list[tuple[str, dict]] | None = None, metric_labels: dict[str, str] | None = None,
               unmarked: Iterable[str] = ()) -> pd.DataFrame:
    """Model vs every baseline on the same rows: the verdict in one sentence, then a table whose primary
    metric carries its min–max over folds. Returns the (unformatted) table for the report. ``unmarked``: baselines (by name)
    shown but never marked best — a rule run without its inputs."""
    from usecases.core import fmt

    v = ev.verdict()
    text = f"**{v.sentence}**  \nRows: {ev.data.split}" + (f" · {fmt.count(ev.data.test_rows)} {ev.data.unit} scored" if ev.data.test_rows else "")
    if ev.data.kind == "external":
        text += " · **external test** (a file the model never saw, scored whole)"
    if note := ev.paired_note():  # (usecases.core.spec: the evaluation's own reading)
        text += "  \n" + note
    from . import report as report_ui

    # in the page's report too: it had set the tables down without the verdict, so a tie read as the larger number's win
    report_ui.say(st.success if v.winner == "model" else st.info if v.tie else st.warning, text, icon=":material/balance:")
    metric_names = list(metrics) if metrics is not None else list(ev.model)
    metric_labels = metric_labels or {}
    primary = metric_labels.get(ev.primary_metric, ev.primary_metric)
    rows = []
    for name, m in (("model", ev.model), *ev.baselines.items()):
        row = {"model": (labels or {}).get(name, ev.label(name))}
        row.update({k: m.get(k) for k in metric_names})
        sp = ev.spread(name)
        row["spread"] = f"{fmt.metric(sp[0])} – {fmt.metric(sp[1])}" if sp else "—"
        rows.append(row)
    for label, m in extra_rows or []:
        rows.append({"model": label, **{k: m.get(k) for k in metric_names}, "spread": "—"})
    table = pd.DataFrame(rows).set_index("model")
    num = [c for c in metric_names if c in table]
    table[num] = table[num].astype(float)
    if not ev.folds:
        table = table.drop(columns="spread")
    else:
        spread_col = f"{primary} min – max"  # short: a long header is cut off
        table = table.rename(columns={"spread": spread_col})
    low = [c for c in num if c in set(lower_better)]
    if metric_labels:  # readable headers for display (the returned table keeps the metric names)
        shown = table.rename(columns=metric_labels)
        num_shown = [metric_labels.get(c, c) for c in num]
        low = [metric_labels.get(c, c) for c in low]
    else:
        shown, num_shown = table, num
    # Cells are shown as text (a missing value as "—", which Streamlit's null rendering would print as
    # "None"); the best value per column is highlighted from the numbers.
    display = shown.copy()
    for c in num_shown:
        display[c] = shown[c].map(fmt.metric)
    tied = ([(labels or {}).get(n, ev.label(n)) for n in ("model", v.best_baseline)]  # the verdict's tie: both rows are marked
            if v.tie and v.best_baseline is not None else ())
    skip = [(labels or {}).get(n, ev.label(n)) for n in unmarked]
    best = best_cells(shown[num_shown], display[num_shown], low, tie=(primary, tied), skip=skip).reindex(columns=shown.columns, fill_value=False)
    style = display.style.apply(lambda _: best.replace({True: "background-color: #dcfce7", False: ""}), axis=None)
    config = {spread_col: st.column_config.TextColumn(help=f"The {primary} of each "
                                                            f"model over the {ev.spread_unit}: lowest – highest")} if ev.folds else None
    st.dataframe(style, width="stretch", column_config=config)
    return table.reset_index()


def best_cells(values: pd.DataFrame, shown: pd.DataFrame, lower_better: Iterable[str] = (),
               tie: tuple[str, Iterable[str]] = ("", ()), skip: Iterable[str] = ()) -> pd.DataFrame:
    """Which cells to highlight as the best of their column: every cell that reads the same as the best one as displayed (two
    over-triage rates of 0.042 — 0.0418 and 0.0423 — had one highlighted and the other not). ``tie``: (the primary metric's
    column, the rows the verdict calls a tie) — when one of them is that column's best, both are marked there, not the larger
    point estimate alone (the model's κ 0.912 was highlighted under "Tie: … 0.912 vs LightGBM 0.911 … neither is better"); a row
    better than both (a published figure, nurse + model) keeps its mark alone. ``skip``: rows never marked, nor counted as a
    column's best (a rule run without its inputs: every patient at level 5 is no best over-triage)."""
    low = set(lower_better)
    best = pd.DataFrame(False, index=values.index, columns=values.columns)
    skipped = values.index.isin(list(skip))
    for c in values.columns:
        col = values[c].where(~skipped)
        if col.notna().any():
            top = col.idxmin() if c in low else col.idxmax()
            best[c] = col.notna() & (shown[c] == shown[c].loc[top]) & ~skipped
    column, rows = tie
    rows = list(rows)
    if rows and column in best and best.loc[best.index.isin(rows), column].any():  # a row better than both keeps its mark alone
        best[column] = best[column] | best.index.isin(rows)
    return best


def kpi_scaled(items: Iterable[tuple[str, str, str, str]]) -> None:
    """A row of ``st.metric`` tiles that say their scale under the value: (label, value, scale, help)."""
    items = list(items)
    for col, (label, value, scale, help_) in zip(st.columns(len(items)), items):
        col.metric(label, value, delta=scale, delta_color="off", delta_arrow="off", help=help_ or None, border=True)
