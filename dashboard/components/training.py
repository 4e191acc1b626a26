"""Model status and retraining with live progress (``st.status`` + ``st.progress`` + a live curve)."""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd
import plotly.express as px
import streamlit as st

import usecases
from usecases.core import engine, fmt
from usecases.core.device import card_device_name
from usecases.core.holder import Job, JobManager
from usecases.core.runner import budget_overrun
from usecases.core.store import ModelMissing, ModelUnusable, StoreReadOnly
from usecases.core.tables import DataProblem

from . import cache
from .state import holder, jobs


def get_model(name: str) -> tuple[Any | None, ModelUnusable | None]:
    """The shared model of ``name`` or the reason it cannot be used."""
    try:
        return holder().get(name), None
    except ModelUnusable as exc:
        return None, exc


def require_model(name: str) -> Any | None:
    """Return the model, or show the 'not trained yet — train it here' / 'unusable' state and None."""
    trained, problem = get_model(name)
    if trained is not None:
        return trained
    mod = usecases.get(name)
    running = jobs().running(name)
    if isinstance(problem, ModelMissing):
        st.info(f"**{mod.SPEC.title}: not trained yet — train it here.** {mod.SPEC.purpose}", icon=":material/model_training:")
    elif not running:
        st.error(str(problem), icon=":material/error:")
    retrain_panel(name, label="Train it now" if isinstance(problem, ModelMissing) else "Retrain")
    return None


def _train_shared(name: str, config: Any) -> Callable[[Job], Any]:
    mod = usecases.get(name)

    def work(job: Job) -> tuple[Any, str]:
        if engine.configured().is_ray:  # $UCLAB_RAY_ADDRESS: the cluster trains and saves; this server only waits
            trained = engine.train_on_cluster(name, config, store=holder().store, progress=job.progress, cancel=job.cancel)
            holder().put(name, trained, saved=True)
            return trained, f"trained on the {engine.describe()}, saved to the model store"
        trained = mod.train(config, progress=job.progress, cancel=job.cancel)
        try:
            mod.save(trained, holder().store)
            holder().put(name, trained, saved=True)
            return trained, "saved to the model store"
        except StoreReadOnly as exc:
            holder().put(name, trained, saved=False)
            return trained, f"kept in memory only: {exc}"

    return work


def _done_message(name: str) -> Callable[[Any], str]:
    mod = usecases.get(name)

    def message(result: tuple[Any, str]) -> str:
        trained, note = result
        m = trained.card.get("metrics", {}).get(mod.SPEC.primary_metric)
        val = f" · {mod.SPEC.primary_label} {m:.3f}" if isinstance(m, (int, float)) else ""
        return f"{mod.SPEC.title} model retrained{val} ({note})"

    return message


def retrain_config(mod: Any) -> Any:
    """The configuration of a shared retrain: the standard one, or the quick one where the deployment
    says so (``UCLAB_RETRAIN_CONFIG=quick``: demos on a small machine, and the concurrency test)."""
    import os

    return mod.Config.quick() if os.environ.get("UCLAB_RETRAIN_CONFIG", "").strip().lower() == "quick" else mod.Config()


def retrain_intro(card: dict, data: str) -> str:
    """The line above a Retrain button: what it trains on and how long the last training took (the recommendation and triage
    pages had a bare "Retrain" button, with no word of what it replaces or how long it runs)."""
    from usecases.core.report import training_times

    own, whole = training_times(card)  # the whole run: a Retrain button runs all of it (recommendation's card keeps its fit apart,
    secs = whole or own  # and "took 90 s" had stood for a 164 s run; a review, 2026-12-07)
    took = ""
    if isinstance(secs, (int, float)) and secs > 0:
        device = card_device_name((card.get("device") or {}).get("name", ""))
        took = (f" The last training took {fmt.number(secs, 0)} s" if secs < 90 else f" The last training took {fmt.number(secs / 60, 1)} min") \
            + (f" on {device}." if device else ".")
    return f"**Retrain the shared model** on {data}.{took} Every session gets the new model when it finishes."


def retrain_panel(name: str, *, label: str = "Retrain", config: Any = None, help: str | None = None) -> None:
    """A Retrain button for the shared model plus live progress of the running job."""
    from .auth import can_retrain_shared

    mod = usecases.get(name)
    jm = jobs()
    job = jm.get(name)
    allowed, why = can_retrain_shared()
    if not (job and job.running) and not allowed:
        st.caption(f":material/lock: {why}")
    elif not (job and job.running):
        if st.button(label, key=f"retrain-{name}", icon=":material/model_training:", help=help or "Train the model again on the default data with the standard settings; every session gets the new model when it finishes."):
            cfg = config if config is not None else retrain_config(mod)
            jm.start(name, f"Training the {mod.SPEC.title.lower()} model", _train_shared(name, cfg), _done_message(name))
            st.rerun()
    job_progress(jm, name)


_VIEW_REQUEST = "_view-request"  # the label of a session model to put in view on the next run (a finished training job)


SAVED = "Saved · "  # the label of a model in the shared store's custom/ folder: "Saved · notes"


@st.cache_resource(show_spinner=False, max_entries=8)
def _load_saved(usecase: str, key: str, stamp: str) -> Any:
    return usecases.get(usecase).load(holder().store, key)


def load_saved(usecase: str, key: str) -> Any:
    """A saved model of the shared store, loaded once per version of its card (ModelUnusable, OSError when it cannot be)."""
    return _load_saved(usecase, key, str((holder().store.dir(key) / "card.json").stat().st_mtime_ns))


def saved_models(usecase: str) -> dict[str, str]:
    """The models of ``usecase`` saved in the shared store's ``custom/`` folder — by the command line's ``train NAME --data
    FILE --model-name N`` or a page's *Save to the shared store* — as label → store key. They could be scored with the
    command line only: no page listed them (a review, 2026-12-07)."""
    import re

    # one level under custom/, under a name the command line reaches (`--model N`): a hand-made custom/a/mine and custom/mine
    # both read "Saved · mine", and "with space" cannot be named (a review, 2026-12-07)
    keys = [k for k in holder().store.keys(f"{usecase}/custom") if k.count("/") == 2 and re.fullmatch(r"[A-Za-z0-9_.-]+", k.rsplit("/", 1)[-1])]
    return {f"{SAVED}{key.rsplit('/', 1)[-1]}": key for key in keys}


def model_in_view(prefix: str, shared: Any, shared_label: str, usecase: str | None = None) -> tuple[str, Any, dict]:
    """The "Model in view" choice between the shared model, the models this session trained (kept in
    ``st.session_state[f"{prefix}.runs"]``) and, given ``usecase``, the models saved to the shared store's ``custom/``
    folder; returns ``(label, model, runs)``. No selector until there is a choice. A saved model that cannot be loaded is
    named with the reason, and the shared model stays in view."""
    runs: dict = st.session_state.setdefault(f"{prefix}.runs", {})
    saved = saved_models(usecase) if usecase else {}
    choice = shared_label
    if st.session_state.get(_VIEW_REQUEST) in runs:  # a model this session just trained is put in view (set before the widget exists)
        st.session_state[f"{prefix}.view"] = st.session_state.pop(_VIEW_REQUEST)
    options = [shared_label, *runs, *(k for k in saved if k not in runs)]
    # Streamlit drops a widget's state on a run that does not draw it: after a visit to Home the page came back with the
    # shared model in view while the analyst's own model was still in the list (an analyst walkthrough, 2026-12-07). The
    # choice is kept under a key of its own and put back.
    kept = f"{prefix}.view.kept"
    if f"{prefix}.view" not in st.session_state and st.session_state.get(kept) in options:
        st.session_state[f"{prefix}.view"] = st.session_state[kept]
    if runs or saved:
        choice = st.selectbox("Model in view", options, key=f"{prefix}.view",
                              help="Models you trained in this session (on your own data or what-if runs) are kept in this browser session "
                                   "only. “Saved · …” models are in the server's shared store, for every user: trained with "
                                   "`python -m usecases train … --data FILE --model-name NAME` or saved from a page.")
        st.session_state[kept] = choice
    if choice in runs:
        return choice, runs[choice], runs
    if choice in saved:
        try:
            model = load_saved(usecase, saved[choice])
            cache.evaluation(usecase, model)  # (cached) one that loads but cannot be evaluated would stop the page
            return choice, model, runs
        except (ModelUnusable, OSError, ValueError, DataProblem) as exc:
            st.error(f"The saved model “{choice.removeprefix(SAVED)}” cannot be used: {exc}. The shared model is in view.",
                     icon=":material/error:")
    return shared_label, shared, runs


def cli_command(command: str, choice: str, active: Any, shared: Any, usecase: str) -> str:
    """The page's "same from the command line" hint for the model in view: ``--model N`` for a saved one (the hint had scored
    with the shipped model while "Saved · fr2000" was in view; a walkthrough, 2026-12-07), and for a model of this session, which
    the command line cannot reach, how to make one it can."""
    if active is shared:
        return f"`{command}`"
    if choice.startswith(SAVED):
        name = choice.removeprefix(SAVED)
        head, _, rest = command.partition(" -o ")
        return f"`{head} --model {name}" + (f" -o {rest}`" if rest else "`")
    return (f"`{command} --model NAME`, for a model trained there with `python -m usecases train {usecase} --data FILE --model-name NAME` "
            "— the one in view was trained in this session and is not in the store")


HOME_PRICES_SHARED = "Home prices the shared model, not this one"


def home_says(active: Any, shared: Any, same: str) -> str:
    """``same`` ("the figure Home shows") when the shared model is in view; else that Home prices the shared model. With a
    model of the user's corpus in view the text page had said "−€300 … — the figure and range Home shows" while Home read
    €12.1k for the shipped model (a sweep, 2026-12-07)."""
    return same if active is shared else HOME_PRICES_SHARED


def start_session_run(jm: JobManager, key: str, title: str, train: Callable[..., Any], runs: dict, label: str, *,
                      metric: str, metric_label: str) -> None:
    """Train on a user's data in this session's job ``key``: ``train(progress=, cancel=)`` runs in the
    background and its result lands in ``runs[label]`` — this session's models, never the shared store."""

    def work(job: Job) -> Any:
        trained = train(progress=job.progress, cancel=job.cancel)
        runs[label] = trained
        return trained

    st.session_state[f"_view-after-{key}"] = label  # when it finishes, the model goes into view: a presenter kept showing the old one
    jm.start(key, title, work, lambda t: finished_message(t.card, metric, metric_label))


def finished_message(card: dict, metric: str, metric_label: str) -> str:
    """What a finished run in this session says: its figure, that it is in view, and — for a run well past its time budget —
    why, as the command line says it (the budget bounds the networks; the peers took the rest: a page run of 20 s had
    taken minutes without a word)."""
    over = budget_overrun(card)
    return (f"{metric_label} {card['metrics'][metric]:.3f} — now in view (“Model in view” at the top switches back)."
            + (f" {over[:1].upper()}{over[1:]}." if over else ""))


def progress_text(step: int, total: int, last: dict) -> str:
    """The progress bar's line: the step, what runs now (where a domain says) and the latest metrics in words, as the chart's
    legend writes them ("val_bpb 3.478 · ngram_bpb 2.867 · beats_ngram 0" had been shown as written; a sweep, 2026-12-07)."""
    shown = " · ".join(f"{metric_label(k)} {v:.4g}" for k, v in last.items()
                       if k not in ("step", "seconds") and not k.startswith("beats_") and isinstance(v, float))
    stage = last.get("stage") if isinstance(last.get("stage"), str) else ""
    return f"step {step} of {total}" + "".join(f" · {x}" for x in (stage, shown) if x)


def job_progress(jm: JobManager, key: str, *, on_finish_rerun: bool = True, chart_metrics: tuple[str, ...] | None = None) -> Job | None:
    """Poll a job once a second while it runs; show status, progress, a live curve and Cancel."""
    job = jm.get(key)
    if job is None:
        return None
    ack_key = f"_ack-{key}-{job.started}"

    def body() -> None:
        j = jm.get(key)
        if j is None:
            return
        if j.running:
            with st.status(f"{j.label}… {j.elapsed:.0f} s", expanded=True, state="running"):
                st.progress(j.fraction, text=progress_text(j.step, j.total, j.history[-1] if j.history else {}))
                fig = _job_figure(key, j.started, len(j.history), chart_metrics, j.history)
                if fig is not None:
                    st.plotly_chart(fig, width="stretch", key=f"job-chart-{key}-{j.started}")
                if st.button("Cancel", key=f"cancel-{key}-{j.started}", icon=":material/stop_circle:"):
                    j.cancel.cancel()
            return
        if on_finish_rerun and not st.session_state.get(ack_key):
            st.session_state[ack_key] = True
            pending = st.session_state.pop(f"_view-after-{key}", None)
            if j.state == "done" and pending is not None:
                st.session_state[_VIEW_REQUEST] = pending
            st.rerun()
        state = {"done": "complete", "failed": "error", "cancelled": "error"}[j.state]
        summary = f" — {j.message}" if j.state == "done" and j.message else ""  # the result stays readable while collapsed
        with st.status(f"{j.label}: {j.state} after {j.elapsed:.0f} s{summary}", state=state, expanded=j.state != "done"):
            (st.success if j.state == "done" else st.warning if j.state == "cancelled" else st.error)(j.message)
            _history_chart(j.history, chart_metrics, key=f"job-chart-{key}-{j.started}")

    st.fragment(body, run_every=POLL_SECONDS if job.running else None)()
    return job


# How often a page showing a running job redraws its progress. Every session that shows the job polls: a shared retrain is
# shown to every session on its page. At 1 s, ten sessions on the triage page each rebuilt the live chart every second
# (about 0.1 s of Python each), and Streamlit ran a full garbage collection after each of those runs (about 0.15 s; turned
# off in .streamlit/config.toml). On two cores that starved the training thread of the interpreter: the quick triage
# retrain, 8 s alone, was not done after 300 s (`python -m benchmarks.concurrency --watchers 9`; README, Concurrency).
POLL_SECONDS = 2.0


@st.cache_resource(show_spinner=False, max_entries=32)
def _job_figure(key: str, started: float, n: int, metrics: tuple[str, ...] | None, _history: list[dict]):
    """A running job's curve over its first ``n`` history entries, built once for every session that shows it (a new
    entry, a new figure) — never mutate what this returns."""
    return history_figure(list(_history[:n]), metrics)


def _history_chart(history: list[dict], metrics: tuple[str, ...] | None, key: str | None = None) -> None:
    """A job's or a card's loss curve. A job's chart has its own key: the card of the model it produced may
    show the same curve on the same page."""
    fig = history_figure(history, metrics)
    if fig is not None:
        st.plotly_chart(fig, width="stretch", key=key)


_WORDS = {"val": "validation", "train": "training", "bpb": "bits per byte", "ap": "AP", "kappa": "κ", "ngram": "n-gram", "loss": "loss"}


def metric_label(key: str) -> str:
    """A history key as words for a legend or axis: "val_kappa" → "validation κ", "val_ndcg@10" → "validation NDCG@10"
    (the legends showed the raw keys)."""
    return " ".join(_WORDS.get(w, w.upper() if "@" in w else w) for w in key.split("_"))


def _is_score(key: str) -> bool:
    """A history key that is a quality score (higher is better: κ, AP, NDCG@k, coverage, accuracy), not a loss (loss, bits per
    byte): a named list, not "whatever is not called loss" — the text model's bits per byte are losses too."""
    last = key.split("_")[-1].lower()
    return last in ("kappa", "ap", "auc", "accuracy", "coverage") or last.startswith("ndcg")


def history_figure(history: list[dict], metrics: tuple[str, ...] | None = None):
    """The loss curve of a training history (None when there is nothing to draw)."""
    if len(history) < 2:
        return None
    df = pd.DataFrame(history)
    # Neither a "stage" (what ran: words) nor a "member" (which ensemble member a row is from: 1, 2, …) is a curve; both had
    # been drawn, the member number as a flat "member" line beside the losses of a triage own-data run.
    # an iteration counter and a 0/1 flag (the text model's "iter", "beats_ngram") are not curves either
    cols = [c for c in (metrics or df.columns) if c in df.columns and c not in ("step", "seconds", "part", "member", "iter", "beats_ngram")
            and df[c].notna().sum() >= 2 and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    if not cols:
        return None
    parts = "part" in df.columns  # a blend of learners: one curve per learner and metric, not one line through both
    # A step that does not increase starts another fold's or ensemble member's curve: drawn as its own line (in the same
    # colour), not joined to the previous one's end — that drew a sawtooth.
    df["segment"] = (pd.to_numeric(df["step"], errors="coerce").diff().fillna(1) <= 0).cumsum()
    long = df.melt(id_vars=["step", "segment", *(["part"] if parts else [])], value_vars=cols, var_name="metric").dropna(subset=["value"])
    long["metric"] = long["metric"].map(metric_label)
    if parts:
        long["metric"] = long["part"].fillna("").astype(str) + " · " + long["metric"]
    fig = px.line(long, x="step", y="value", color="metric", line_group="segment", markers=True, height=260)
    # The axis names what is on it (it read "value" under a validation loss and a κ side by side). Several metrics are named in
    # the title, which has the chart's width: on the axis, "training loss · validation loss · validation κ" was cut off.
    names = [metric_label(c) for c in cols]
    one = len(names) == 1
    fig.update_layout(margin=dict(l=10, r=10, t=10 if one else 40, b=10), legend_title=None, yaxis_title=names[0] if one else None,
                      title=None if one else f"Training curve: {', '.join(names[:-1])} and {names[-1]} per step")
    scores = [metric_label(c) for c in cols if _is_score(c)]  # κ, AP, NDCG: higher is better, on another scale than a loss
    if scores and len(scores) < len(names):  # losses and a score had shared one unnamed axis: the scores get their own, on the right
        for tr in fig.data:
            if tr.name.split(" · ")[-1] in scores:
                tr.update(yaxis="y2")
        fig.update_layout(yaxis_title="loss", height=330, yaxis2=dict(title=", ".join(scores), overlaying="y", side="right", showgrid=False,
                                                                      tickformat=".2f", rangemode="tozero"),
                          legend=dict(orientation="h", yanchor="top", y=-0.32, x=0))  # a legend on the right sat on that axis
    return fig


def training_curve(card: dict, metrics: tuple[str, ...] | None = None, x: str = "step") -> None:
    """The training history stored in a model card as a chart."""
    hist = card.get("history") or []
    if len(hist) < 2:
        st.caption("No training curve recorded for this model.")
        return
    _history_chart(hist, metrics)
