"""Text generation page: streamed generation with two settings side by side, model quality, training on
your corpus, cost per token."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard.components import report as report_ui
from dashboard.components import scenario, training, widgets
from dashboard.components.state import holder, session_jobs
from usecases import textgen
from usecases.core import business
from usecases.core.device import select_device
from usecases.core.store import StoreReadOnly
from usecases.core.tables import DataProblem
from usecases.textgen import business as tb
from usecases.textgen import local_hf
from usecases.textgen.corpus import read_corpus
from usecases.textgen.generate import Sampling

SPEC = textgen.SPEC
KEY = "textgen"

report_ui.start("Text generation")
st.title(":material/edit_note: Text generation")
st.caption(f"{SPEC.purpose} A character-level GPT written in this project, trained on {SPEC.data_source}, with a KV cache for "
           "streaming; local pretrained models (Hugging Face format) run with the same controls.")

shared = training.require_model(KEY)
if shared is None:
    st.stop()


@st.cache_resource(show_spinner="Loading the local model…")
def _load_hf(path: str):
    return local_hf.LoadedHF(path, select_device())


def _custom_models() -> dict:
    """Named models trained on users' corpora: saved in the store, or kept in this session."""
    out = {}
    store = holder().store
    for key in store.keys(f"{KEY}/custom"):
        out[f"Your model · {key.rsplit('/', 1)[-1]}"] = ("store", key)
    for name, t in st.session_state.get("textgen.session_models", {}).items():
        out[f"Your model · {name} (this session)"] = ("session", t)
    return out


@st.cache_resource(show_spinner=False)
def _load_custom(key: str, stamp: str):
    return textgen.load(holder().store, key)


def _resolve(label: str):
    """(kind, object) for a model label: ("gpt", Trained) or ("hf", LoadedHF)."""
    if label == DEFAULT:
        return "gpt", shared
    if label in customs:
        where, ref = customs[label]
        if where == "session":
            return "gpt", ref
        card = holder().store.dir(ref) / "card.json"
        return "gpt", _load_custom(ref, str(card.stat().st_mtime_ns))
    return "hf", _load_hf(hf_models[label].path)


DEFAULT = "Documentation GPT (shipped)"
customs = _custom_models()
hf_models = {f"Local · {m.name}": m for m in local_hf.discover()}
t_gen, t_model, t_train, t_bus = st.tabs(["Generate", "Model", "Train on your corpus", "Business case"], key="tg.tab")

# ---- generate -----------------------------------------------------------------------------------
with t_gen:
    options = [DEFAULT, *customs, *hf_models]
    label = st.selectbox("Model", options, key="tg.model", help="Local pretrained models are found in models/textgen/hf/, UCLAB_HF_DIRS and the local Hugging Face cache.")
    if not hf_models:
        with st.expander("Use a pretrained model you already have"):
            st.markdown(local_hf.HOW_TO_ADD)
    prompt = st.text_area("Prompt", "The with statement is used to", key="tg.prompt", height=90)

    def controls(col, side: str, defaults: dict) -> Sampling:
        with col:
            st.markdown(f"**Setting {side}**")
            scenario.default(f"tg.{side}.t", defaults["t"], lo=0.0, hi=2.0)
            scenario.default(f"tg.{side}.k", defaults["k"], lo=0, hi=1000)
            scenario.default(f"tg.{side}.p", defaults["p"], lo=0.05, hi=1.0)
            scenario.default(f"tg.{side}.n", 300, lo=1, hi=2000)
            scenario.default(f"tg.{side}.stop", "")
            temp = st.slider("Temperature", 0.0, 2.0, step=0.05, key=f"tg.{side}.t", help="0 = greedy (always the most likely token).")
            top_k = st.number_input("Top-k (0 = off)", 0, 1000, key=f"tg.{side}.k")
            top_p = st.slider("Top-p", 0.05, 1.0, step=0.05, key=f"tg.{side}.p")
            n = st.number_input("Max new tokens", 1, 2000, step=50, key=f"tg.{side}.n")
            stop = st.text_input("Stop sequences (comma-separated, \\n for newline)", key=f"tg.{side}.stop")
            stops = tuple(s.replace("\\n", "\n") for s in stop.split(",") if s.strip())
            return Sampling(max_new_tokens=int(n), temperature=float(temp), top_k=int(top_k) or None, top_p=float(top_p), stop=stops, seed=0)

    c1, c2 = st.columns(2)
    s_a = controls(c1, "A", {"t": 0.7, "k": 40, "p": 0.95})
    s_b = controls(c2, "B", {"t": 0.0, "k": 0, "p": 1.0})
    go = st.button("Generate both", type="primary", icon=":material/play_arrow:", key="tg.go")
    if go:
        try:
            kind, obj = _resolve(label)
            outs = st.columns(2)
            for col, side, s in ((outs[0], "A", s_a), (outs[1], "B", s_b)):
                with col:
                    box, stats = st.empty(), st.empty()
                    text, last, n = "", None, 0
                    for step in obj.stream(prompt, s):
                        text += step.text
                        last, n = step, n + 1
                        if n % 4 == 1:
                            box.code(prompt + text, language=None, wrap_lines=True)
                            stats.caption(f"{n} tokens · {n / max(step.elapsed, 1e-9):,.0f} tokens/s")
                    box.code(prompt + text, language=None, wrap_lines=True)
                    if last:
                        stats.caption(f"Setting {side}: {n} tokens · time to first token {last.first_token_seconds * 1000:,.0f} ms · "
                                      f"total {last.elapsed:,.2f} s · {n / max(last.elapsed, 1e-9):,.0f} tokens/s")
                    else:
                        stats.caption(f"Setting {side}: stopped before the first token (a stop sequence matched at once).")
        except DataProblem as exc:
            widgets.show_problem(exc)
    st.caption("Side by side: A samples (temperature 0.7, top-k 40, top-p 0.95), B decodes greedily — change either and generate again.")

# ---- model ------------------------------------------------------------------------------------
with t_model:
    card = shared.card
    try:
        report = textgen.evaluate(shared)
    except DataProblem as exc:
        widgets.show_problem(exc)
        report = None
    m = card["metrics"]
    ng_name, ng = next(iter(card["baselines"].items()))
    widgets.kpi_row([
        ("Parameters", f"{card['model']['parameters'] / 1e6:.2f} M"),
        ("Validation loss", f"{m['val_loss']:.3f}", "Cross-entropy in nats per character on the held-out 10 %."),
        ("Bits per character", f"{m['val_bpc']:.3f}", f"{ng_name.replace('_', ' ')}: {ng['val_bpc']:.3f}"),
        ("Perplexity", f"{m['val_perplexity']:.2f}", "Per character."),
        ("Training", f"{card['training_seconds'] / 60:.1f} min", f"{card['model']['iterations']:,} iterations on {card['device']['name']}"),
    ])
    comp = pd.DataFrame([{"model": "GPT (this model)", "bits per character": m["val_bpc"]},
                         {"model": "Character 5-gram, Witten–Bell", "bits per character": ng["val_bpc"]}])
    fig = px.bar(comp, x="bits per character", y="model", orientation="h", height=200, text_auto=".3f",
                 title="Same validation text: bits per character (lower is better)")
    fig.update_layout(margin=dict(l=10, r=10, t=40, b=10), yaxis_title=None)
    st.plotly_chart(fig, width="stretch")
    report_ui.kpis([("Bits per character", f"{m['val_bpc']:.3f}"), (ng_name.replace("_", " "), f"{ng['val_bpc']:.3f}"),
                    ("Parameters", f"{card['model']['parameters'] / 1e6:.2f} M")])
    report_ui.figure(fig, "Bits per character vs the n-gram baseline")
    hist = pd.DataFrame(card.get("history", []))
    if len(hist) > 1:
        long = hist.melt(id_vars="iter", value_vars=[c for c in ("train_loss", "val_loss") if c in hist]).dropna()
        f = px.line(long, x="iter", y="value", color="variable", markers=True, height=320, title="Training curve (nats/char)")
        f.update_layout(margin=dict(l=10, r=10, t=40, b=10), legend_title=None)
        st.plotly_chart(f, width="stretch")
    widgets.model_card(card)
    st.markdown("**Retrain the shipped model** (about 8 minutes on 2 CPU cores).")
    training.retrain_panel(KEY)

# ---- train on your corpus --------------------------------------------------------------------
with t_train:
    st.caption("Upload .txt / .md files (concatenated) or a CSV with a text column. The model keeps the shipped architecture's "
               "shape at a smaller size so it trains in minutes; your files stay in memory.")
    files = st.file_uploader("Corpus files", type=["txt", "md", "csv", "tsv"], accept_multiple_files=True, key="tg.corpus", max_upload_size=20)
    c1, c2, c3 = st.columns(3)
    col = c1.text_input("Text column (CSV only; empty = the longest)", "", key="tg.col")
    budget = c2.slider("Time budget (s)", 10, 900, 120, 10, key="tg.budget")
    name = c3.text_input("Name for the model", "my-model", key="tg.name")
    jm = session_jobs()
    if files:
        try:
            corpus = read_corpus([(f.name, f.getvalue()) for f in files], text_column=col.strip() or None)
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
            if not safe:
                raise DataProblem("the name must contain letters or digits", "the model name")
        except DataProblem as exc:
            widgets.show_problem(exc)
        else:
            st.success(f"{corpus.source}: {len(corpus.train):,} training and {len(corpus.val):,} validation characters.")
            if st.button("Train", type="primary", key="tg.train", icon=":material/play_arrow:"):
                base = textgen.Config()
                cfg = textgen.Config(model=type(base.model)(block_size=128, n_layer=4, n_head=4, n_embd=128), max_iters=100_000,
                                     budget_seconds=float(budget))

                def work(job, corpus=corpus, cfg=cfg, safe=safe, ss=st.session_state.setdefault("textgen.session_models", {})):
                    t = textgen.train(cfg, data=corpus, progress=job.progress, cancel=job.cancel)
                    try:
                        textgen.save(t, holder().store, key=f"{KEY}/custom/{safe}")
                        note = "saved to the model store"
                    except StoreReadOnly:
                        ss[safe] = t
                        note = "kept for this session (the store is read-only)"
                    return t, note

                jm.start("tg-own", f"Training “{safe}”", work,
                         lambda r: f"{r[0].card['metrics']['val_bpc']:.3f} bits/char ({r[1]}). Pick it in the Generate tab.")
    training.job_progress(jm, "tg-own", chart_metrics=("train_loss", "val_loss"))
    st.caption("Command line: `python -m usecases train textgen --data notes.md --model-name notes`.")

# ---- business ---------------------------------------------------------------------------------
with t_bus:
    tps = st.session_state.get("tg.measured_tps")
    if tps is None:
        from usecases.textgen.generate import complete

        _, stats = complete(shared.stream("The with statement", Sampling(max_new_tokens=200, temperature=0.0)))
        tps = stats["tokens_per_second"]
        st.session_state["tg.measured_tps"] = tps
    st.caption(f"CPU throughput measured on this deployment just now: **{tps:,.0f} tokens/s** (shipped model, one stream).")
    a = widgets.assumptions_form(tb.TextAssumptions(), "tg.a", columns=3)
    widgets.reset_button("tg.a")
    c = tb.case(a, tps)
    widgets.kpi_row([
        ("Cost / 1k tokens, CPU", f"€{c.cpu_per_1k:.5f}"),
        ("Cost / 1k tokens, GPU", f"€{c.gpu_per_1k[1]:.5f}", f"Range €{c.gpu_per_1k[0]:.5f} – €{c.gpu_per_1k[2]:.5f}"),
        ("Drafts / hour, CPU", f"{c.cpu_drafts_per_hour:,.0f}"),
        ("Editor time saved / month", business.money(c.value[1]), f"Range {business.money(c.value[0])} – {business.money(c.value[2])}"),
        ("Net / month", business.money(c.net[1]), f"Value minus self-hosting; range {business.money(c.net[0])} – {business.money(c.net[2])}"),
    ])
    be = c.break_even[1]
    st.markdown(f"**Self-hosted vs hosted API at your volume:** {business.money(c.self_hosted[1])} vs {business.money(c.api[1])} per month. "
                + (f"Self-hosting is cheaper above **{be / 1e6:,.1f} M tokens/month** ({be / a.tokens_per_draft:,.0f} drafts)." if be else
                   "At these prices the API is always cheaper per token."))
    vols = np.logspace(4, 10, 60)
    k = vols / 1000
    per_1k = min(c.cpu_per_1k, c.gpu_per_1k[1])
    df = pd.DataFrame({"tokens per month": np.r_[vols, vols], "€ per month": np.r_[a.fixed_monthly + k * per_1k, k * a.api_price],
                       "option": ["self-hosted"] * len(vols) + ["hosted API"] * len(vols)})
    fig = px.line(df, x="tokens per month", y="€ per month", color="option", log_x=True, log_y=True, height=340, title="Monthly cost by volume")
    if be:
        fig.add_vline(x=be, line_dash="dash", line_color="#64748b", annotation_text="break-even")
    fig.update_layout(margin=dict(l=10, r=10, t=40, b=10), legend_title=None)
    st.plotly_chart(fig, width="stretch")
    report_ui.kpis([("CPU tokens/s (measured)", f"{tps:,.0f}"), ("Cost / 1k tokens, CPU", f"€{c.cpu_per_1k:.5f}"),
                    ("Editor time saved / month", business.money(c.value[1])), ("Net / month", business.money(c.net[1]))])
    report_ui.figure(fig, "Monthly cost by volume: self-hosted vs API")

st.divider()
report_ui.download(assumptions=a, card=shared.card, text=f"{shared.card['data']['source']}; {shared.card['data']['split']}.")
