"""Plotly figures of the fraud page (and its HTML report), drawn from the fraud package's results.

Kept out of the page script so tests can build them and check what a reader sees (axis ranges,
scales) without running Streamlit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from usecases.fraud import business as fb

COLORS = {"Caught": "#16a34a", "Missed": "#dc2626", "False alerts": "#f59e0b"}
MARGIN = dict(l=10, r=10, t=40, b=10)


def profit_curve(curve: pd.DataFrame, x_range: tuple[float, float], op: fb.Operating) -> go.Figure:
    """Net value per month (after system cost) against alerts per day at your volume, on a linear axis clipped to
    ``x_range``; the chosen threshold and the team's capacity are marked."""
    fig = go.Figure()
    shown = curve
    fig.add_scatter(x=shown["alerts_per_day"], y=shown["net"], mode="lines", name="Net value per month",
                    customdata=np.c_[shown["threshold"], shown["precision"], shown["recall"]],
                    hovertemplate="%{x:,.0f} alerts/day<br>€%{y:,.0f}/month<br>threshold %{customdata[0]:.3f}"
                                  "<br>precision %{customdata[1]:.0%}<br>recall %{customdata[2]:.0%}<extra></extra>")
    fig.add_scatter(x=[op.alerts_per_day], y=[op.month["net"]], mode="markers", marker=dict(size=13, color="#2563eb", symbol="diamond"),
                    # a manual threshold is the user's, not chosen on the validation rows (a walkthrough, 2026-12-06)
                    name=(f"Your manual threshold ({op.threshold:.3f})" if op.mode == "Manual" else
                          f"Chosen threshold ({op.mode.lower()} on the validation rows, {fb.threshold_text(op.threshold)})")
                         + (f" — the alerts the team can work, scored {fb.threshold_text(op.worked_from)} and above; it raised more on "
                            "these test rows" if op.capped else ""))
    if 0 < op.capacity_per_day <= x_range[1]:
        fig.add_vline(x=op.capacity_per_day, line_dash="dash", line_color="#64748b", annotation_text="team capacity")
    fig.add_hline(y=0, line_color="#94a3b8", line_width=1)
    fig.update_layout(xaxis_title="Alerts per day at your volume", yaxis_title="Net value per month, after system cost (€)", height=380,
                      margin=MARGIN, legend=dict(orientation="h", y=-0.25))
    fig.update_xaxes(type="linear", range=list(x_range))
    return fig


def daily_outcomes(daily: pd.DataFrame) -> go.Figure:
    fig = px.bar(daily, x="day", y="per_day", color="outcome", barmode="group", color_discrete_map=COLORS, height=330,
                 title="Outcomes per day at your volume (each test day rescaled to your volume and fraud rate)",
                 labels={"day": "test day", "per_day": "payments per day at your volume"})
    fig.update_layout(margin=MARGIN, legend_title=None)
    return fig


def roc_pr(ev) -> tuple[go.Figure, go.Figure]:
    roc, pr = go.Figure(), go.Figure()
    for name, cv in ev.curves.items():
        width = 3 if name == "model" else 1.5
        roc.add_scatter(x=cv.fpr, y=cv.tpr, mode="lines", name=ev.label(name), line=dict(width=width))
        pr.add_scatter(x=cv.recall, y=cv.precision, mode="lines", name=ev.label(name), line=dict(width=width))
    # Legends below the plot: on the right, four peer names squeezed each curve into a third of its half-width column.
    below = dict(orientation="h", y=-0.22, x=0, xanchor="left")
    roc.update_layout(title="ROC curve (test rows)", xaxis_title="False positive rate", yaxis_title="True positive rate", height=420, margin=MARGIN,
                      legend=below)
    pr.update_layout(title="Precision–recall curve (test rows)", xaxis_title="Recall", yaxis_title="Precision", height=420, margin=MARGIN,
                     legend=below)
    return roc, pr


def confusion(cm: np.ndarray, threshold: float | str, rows: str = "Test rows", title: str | None = None,
              columns: tuple[str, str] = ("Not flagged", "Flagged")) -> go.Figure:
    """``threshold``: a number, or the words saying which thresholds the counts were taken at (:func:`fb.counted_at`)."""
    at = threshold if isinstance(threshold, str) else f"at threshold {fb.threshold_text(threshold)}"
    fig = px.imshow(cm, x=list(columns), y=["Legitimate", "Fraud"], text_auto=",", color_continuous_scale="Blues",
                    title=title or f"{rows} {at}", height=330)
    fig.update_layout(margin=MARGIN, coloraxis_showscale=False)
    return fig


def training_curve(history: list[dict]) -> go.Figure | None:
    h = pd.DataFrame(history)
    if len(h) < 2 or "val_ap" not in h:
        return None
    h = h.dropna(subset=["val_ap"])
    h["learner"] = ("fold " + h["fold"].astype(int).astype(str) + " · " if "fold" in h and h["fold"].nunique() > 1 else "") + \
        (h["part"].fillna("").astype(str).replace({"mlp": "MLP", "tabm": "TabM"}) + " · " if "part" in h else "") + "member " + h["member"].astype(int).astype(str)
    fig = px.line(h, x="step", y="val_ap", color="learner", markers=True, height=290, labels={"val_ap": "validation AP", "step": "epoch (members trained one after another)",
                                                                                   "learner": "ensemble member"})
    fig.update_layout(margin=dict(l=10, r=10, t=10, b=10), showlegend=h["learner"].nunique() <= 10)
    return fig


def training_curve_note(learner: str | None) -> str:
    """What the training curve shows, naming only the learners the model has (the card's ``model.learner``: "tabm", "mlp" or "blend")."""
    rule = {"tabm": "TabM members keep the epoch with the lowest validation log loss",
            "mlp": "MLP members keep the epoch with the highest validation AP"}
    parts = [p for p in ("tabm", "mlp") if learner in (p, "blend")] or ["tabm", "mlp"]
    return f"validation AP per ensemble member{' of each learner' if len(parts) > 1 else ''}; " + ", ".join(rule[p] for p in parts)


def attributions(top: pd.DataFrame) -> go.Figure:
    # The caption beside it speaks in percentage points ("+41.3 pts"), so the axis does too (it read 0.41 before).
    top = top.assign(points=100 * top["attribution"])
    fig = px.bar(top, x="points", y="label", orientation="h", color=np.where(top["attribution"] > 0, "raises risk", "lowers risk"),
                 color_discrete_map={"raises risk": "#dc2626", "lowers risk": "#16a34a"}, height=360,
                 title="What moved the score away from the reference (Shapley values)")
    fig.update_traces(hovertemplate="%{y}: %{x:+.1f} pts<extra></extra>")
    fig.update_layout(margin=MARGIN, legend_title=None, yaxis_title=None, xaxis_title="change in fraud probability (percentage points)")
    return fig
