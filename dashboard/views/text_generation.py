"""Text generation page: streamed generation with two settings side by side, model quality in plain
figures, training on your corpus (private to the session), cost per token tied to draft quality."""

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
from usecases.core.store import ModelUnusable, StoreReadOnly
from usecases.core.tables import DataProblem
from usecases.textgen import business as tb
from usecases.textgen import local_hf
from usecases.textgen.corpus import read_corpus
from usecases.textgen.generate import Redraw, Sampling, Timed
from usecases.textgen.pipeline import baseline_label, measure_tokens_per_second, ngram_verdict
from usecases.textgen.quality import DraftQuality

SPEC = textgen.SPEC
KEY = "textgen"
SESSION = "textgen.session_models"

report_ui.start("Text generation")
st.title(":material/edit_note: Text generation")
st.caption(f"{SPEC.purpose} A small GPT written in this project, trained on {SPEC.data_source}, with a KV cache for "
           "streaming; local pretrained models (Hugging Face format) run with the same controls.")

shared = training.require_model(KEY)
if shared is None:
    st.stop()


@st.cache_resource(show_spinner="Loading the local model…")
def _load_hf(path: str):
    return local_hf.LoadedHF(path, select_device())


@st.cache_resource(show_spinner="Measuring this deployment's generation speed once for this model version…")
def _throughput(version: str, _trained) -> float:
    """Engine tokens/s of one stream, after a warm-up — measured once per model version, not per visit."""
    return measure_tokens_per_second(_trained)


def _custom_models() -> dict:
    """Models trained on users' corpora: this session's (private), and those saved to the store on purpose."""
    out = {}
    for name, t in st.session_state.get(SESSION, {}).items():
        out[f"Your model · {name} (this session)"] = ("session", t)
    for key in holder().store.keys(f"{KEY}/custom"):
        out[f"Saved model · {key.rsplit('/', 1)[-1]}"] = ("store", key)
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
                    text = ""
                    timed, redraw = Timed(obj.stream(prompt, s)), Redraw(0.08)
                    for step in timed:
                        text += step.text
                        if redraw.due():  # redraw on a time budget, not every few tokens
                            box.code(prompt + text, language=None, wrap_lines=True)
                            stats.caption(f"{timed.tokens} tokens · {timed.engine_tokens_per_second:,.0f} tokens/s")
                    box.code(prompt + text, language=None, wrap_lines=True)
                    if timed.tokens:
                        stats.caption(f"Setting {side}: {timed.tokens} tokens · time to first token {timed.first_token_seconds * 1000:,.0f} ms · "
                                      f"total {timed.wall_seconds:,.2f} s · engine {timed.engine_tokens_per_second:,.0f} tokens/s · "
                                      f"page {timed.tokens / max(timed.wall_seconds, 1e-9):,.0f} tokens/s ({redraw.count} redraws)")
                    else:
                        stats.caption(f"Setting {side}: stopped before the first token (a stop sequence matched at once).")
        except (DataProblem, ModelUnusable) as exc:
            widgets.show_problem(exc) if isinstance(exc, DataProblem) else st.error(str(exc))
    st.caption("Side by side: A samples (temperature 0.7, top-k 40, top-p 0.95), B decodes greedily — change either and generate again. "
               "Engine tokens/s counts only the model's time; page tokens/s includes drawing in your browser.")

# ---- model ------------------------------------------------------------------------------------
with t_model:
    card = shared.card
    m = card["metrics"]
    ng_name, ng = next(iter(card["baselines"].items()))
    qd = card.get("quality", {})
    ng_label = baseline_label(ng_name)
    verdict = ngram_verdict(card)
    if verdict:
        st.warning(verdict, icon=":material/warning:")
    widgets.kpi_row([
        ("Parameters", f"{card['model']['parameters'] / 1e6:.2f} M", f"{card['tokenizer']['kind']}, {card['tokenizer']['vocab_size']:,} tokens"),
        ("Bits per byte", f"{m['val_bpb']:.3f}", f"{ng_label}: {ng['val_bpb']:.3f} — the model needs {-m['vs_ngram']:.0%} fewer bits"
         if m["vs_ngram"] < 0 else f"{ng_label}: {ng['val_bpb']:.3f} — the model is worse"),
        ("Real words", f"{qd['in_vocab_share']:.1%}" if qd else "—", "Share of sampled words (temperature 0.8) found in the training text. Target ≥ 97 %."),
        ("Usable drafts", f"{qd['usable_share']:.0%}" if qd else "—", qd.get("usable_rule", "")),
        ("Longest loop (greedy)", f"{qd['greedy_longest_repeat_max']} tokens" if qd else "—",
         "Longest token sequence repeated within a 300-token greedy continuation. Target < 8."),
    ])
    comp = pd.DataFrame([{"model": "GPT (this model)", "bits per byte": m["val_bpb"]}, {"model": ng_label, "bits per byte": ng["val_bpb"]}])
    fig = px.bar(comp, x="bits per byte", y="model", orientation="h", height=200, text_auto=".3f",
                 title="Same held-out documentation: bits per byte (lower is better)")
    fig.update_layout(margin=dict(l=10, r=10, t=40, b=10), yaxis_title=None)
    st.plotly_chart(fig, width="stretch")
    d = card["data"]
    st.caption(f"Scored on {d.get('scored_bytes', 0):,} bytes of validation text from modules never seen in training"
               + (f" ({d['eval_slice']['rule']})" if "eval_slice" in d else "") + f". Split: {d.get('split', '')}. "
               f"Trained {card['training_seconds'] / 60:.1f} min, {card['model']['iterations']:,} iterations on {card['device']['name']}.")
    report_ui.kpis([("Bits per byte", f"{m['val_bpb']:.3f}"), (ng_label, f"{ng['val_bpb']:.3f}"),
                    ("Parameters", f"{card['model']['parameters'] / 1e6:.2f} M")])
    report_ui.figure(fig, "Bits per byte vs the n-gram baseline")
    st.markdown("**What it is good for, and what not.** It writes text that *looks like* API documentation — the phrasing of "
                "parameter lists, “Returns …”, “If … is None” — and shows, with real figures, what a model trained here in minutes "
                "can and cannot do. It is **not** a documentation writer: it knows no facts about your code, it invents names and "
                "behaviour, and its drafts need a full rewrite. Use a large pretrained model (see *Use a pretrained model*) for real drafts.")
    if qd.get("readme_samples"):
        with st.expander("Five unedited samples (fixed prompts, temperature 0.8, top-k 40, top-p 0.95, seed 0)"):
            for smp in qd["readme_samples"]:
                st.code(smp["prompt"] + smp["completion"], language=None, wrap_lines=True)
    hist = pd.DataFrame(card.get("history", []))
    if len(hist) > 1 and "val_bpb" in hist:
        long = hist.melt(id_vars="iter", value_vars=["val_bpb"]).dropna()
        f = px.line(long, x="iter", y="value", color="variable", markers=True, height=300, title="Validation bits per byte during training")
        f.add_hline(y=ng["val_bpb"], line_dash="dash", line_color="#64748b", annotation_text=ng_label)
        f.update_layout(margin=dict(l=10, r=10, t=40, b=10), legend_title=None)
        st.plotly_chart(f, width="stretch")
    widgets.model_card(card)
    st.markdown("**Retrain the shipped model** (about 20–40 minutes on 2 CPU cores; a GPU picks the larger configuration).")
    training.retrain_panel(KEY)

# ---- train on your corpus --------------------------------------------------------------------
with t_train:
    st.caption("Upload .txt / .md files (concatenated) or a CSV with a text column. The model's size is picked for your corpus "
               "and your time budget (subword tokens above ~1 MB of text, characters below). Your files and the model stay in this "
               "browser session; nothing is written to disk unless you press “Save to the shared store”.")
    files = st.file_uploader("Corpus files", type=["txt", "md", "csv", "tsv"], accept_multiple_files=True, key="tg.corpus", max_upload_size=20)
    c1, c2, c3 = st.columns(3)
    col = c1.text_input("Text column (CSV only; empty = the longest)", "", key="tg.col")
    budget = c2.slider("Time budget (s)", 10, 900, 120, 10, key="tg.budget")
    name = c3.text_input("Name for the model", "my-model", key="tg.name")
    jm = session_jobs()
    session_models = st.session_state.setdefault(SESSION, {})
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
                cfg = textgen.Config(budget_seconds=float(budget))

                def work(job, corpus=corpus, cfg=cfg, safe=safe, ss=session_models):
                    t = textgen.train(cfg, data=corpus, progress=job.progress, cancel=job.cancel)
                    ss[safe] = t  # this session only
                    return t

                def done(t) -> str:
                    ng_n, ng_v = next(iter(t.card["baselines"].items()))
                    line = (f"{t.card['metrics']['val_bpb']:.3f} bits per byte ({baseline_label(ng_n)}: {ng_v['val_bpb']:.3f}), "
                            f"{t.card['model']['parameters'] / 1e6:.2f} M parameters. Kept in this session — pick it in the Generate tab.")
                    v = ngram_verdict(t.card)
                    return f"{line} ⚠ {v}" if v else line

                jm.start("tg-own", f"Training “{safe}”", work, done)
    job = training.job_progress(jm, "tg-own", chart_metrics=("val_bpb", "ngram_bpb"))
    if job is not None and job.running and job.history:
        last = job.history[-1]
        if "val_bpb" in last:
            if last["val_bpb"] < last["ngram_bpb"]:
                st.caption(f"The GPT ({last['val_bpb']:.3f} bits/byte) has passed the n-gram baseline ({last['ngram_bpb']:.3f}).")
            else:
                st.caption(f"Not yet better than the n-gram baseline: {last['val_bpb']:.3f} vs {last['ngram_bpb']:.3f} bits per byte.")
    if job is not None and job.state == "done" and job.result is not None:
        v = ngram_verdict(job.result.card)
        if v:
            st.warning(v, icon=":material/warning:")
    for nm, t in list(session_models.items()):
        with st.container(border=True):
            ng_n, ng_v = next(iter(t.card["baselines"].items()))
            st.markdown(f"**{nm}** (this session) — {t.card['metrics']['val_bpb']:.3f} bits per byte vs {ng_v['val_bpb']:.3f} for the "
                        f"{baseline_label(ng_n)}; {t.card['data']['source']}")
            if st.button("Save to the shared store", key=f"tg.save.{nm}", icon=":material/save:",
                         help="Writes the model to the server's model store, where every user of this app can pick it."):
                try:
                    textgen.save(t, holder().store, key=f"{KEY}/custom/{nm}")
                    st.success(f"Saved as {KEY}/custom/{nm}: other sessions now list it.")
                except StoreReadOnly as exc:
                    st.error(f"Not saved: {exc}")
    st.caption("Command line: `python -m usecases train textgen --data notes.md --model-name notes` (saves to models/textgen/custom/notes).")

# ---- business ---------------------------------------------------------------------------------
with t_bus:
    tps = _throughput(shared.version_key, shared)
    quality = DraftQuality.from_card(shared.card)
    st.caption(f"CPU throughput of this deployment: **{tps:,.0f} tokens/s** (shipped model, one stream, measured once per model version "
               "after a warm-up).")
    a = widgets.assumptions_form(tb.TextAssumptions(), "tg.a", columns=3)
    widgets.reset_button("tg.a")
    c = tb.case(a, tps, quality)
    if c.usable_share == 0:
        st.warning(f"**No editor time is counted:** {c.value_reason}.", icon=":material/block:")
    else:
        st.info(f"Editor time counts for usable drafts only: {c.value_reason}.", icon=":material/check_circle:")
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
    st.caption("The costs are real for any model of this size; the value is not, until a model's drafts pass the quality bar. "
               "The same arithmetic applies to a pretrained model run here — measure its drafts the same way before counting its value.")
    report_ui.kpis([("CPU tokens/s (measured)", f"{tps:,.0f}"), ("Cost / 1k tokens, CPU", f"€{c.cpu_per_1k:.5f}"),
                    ("Editor time saved / month", business.money(c.value[1])), ("Net / month", business.money(c.net[1]))])
    report_ui.figure(fig, "Monthly cost by volume: self-hosted vs API")

st.divider()
report_ui.download(assumptions=a, card=shared.card, text=f"{shared.card['data']['source']}; {shared.card['data']['split']}.")
