"""Recommendation page: per-user top-10 with reasons, cold start, similar items, model vs peers,
business case, A/B planner, batch, own interactions."""

from __future__ import annotations

import functools
import threading

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard.components import report as report_ui
from dashboard.components import scenario, training, upload, widgets
from dashboard.components.state import session_jobs
from usecases import recommendation as rec
from usecases.core import business
from usecases.core.tables import DataProblem
from usecases.recommendation import business as rb
from usecases.recommendation import data as rdata
from usecases.recommendation import pipeline as rt

SPEC = rec.SPEC
KEY = "recommendation"
PUBLISHED = {"Most popular": 0.25, "BPR": 0.44, "LightGCN": 0.45, "BiVAE": 0.475}  # MS Recommenders, MovieLens-100K, NDCG@10
_lock = threading.Lock()

report_ui.start("Recommendation")
st.title(":material/movie: Recommendation")
st.caption(f"{SPEC.purpose} Data: {SPEC.data_source}. Model: a time-aware item-item autoencoder in PyTorch, compared with "
           "most-popular, item-kNN, EASE and ALS from the `implicit` library, all fit on the same 75 % of each user's ratings.")

shared = training.require_model(KEY)
if shared is None:
    st.stop()

SHARED = "Shared model · MovieLens"
choice, active, runs = training.model_in_view("rec", shared, SHARED)

try:
    with _lock, st.spinner("Loading the ratings and the split…"):
        active.ensure_data()
        report = rt.card_report(active)
except DataProblem as exc:
    widgets.show_problem(exc)
    st.stop()
data = active.data

tabs = st.tabs(["For a user", "Cold start", "Similar items", "Model", "Business case", "A/B test planner", "Batch", "Your data"], key="rec.tab")

# ---- for a user -------------------------------------------------------------------------------
with tabs[0]:
    test_users = np.unique(active.test_frame["user"].to_numpy())
    labels = data.user_ids[test_users]
    counts = active.train_frame.groupby("user").size()
    uid = st.selectbox("User", labels, key="rec.user", help="Users of the test split (their held-out 25 % is what the metrics check).",
                       format_func=lambda u: f"user {u} · {counts.get(data.user_code(u), 0)} films rated")
    code = data.user_code(uid)
    c1, c2 = st.columns([1, 2])
    with c1:
        st.markdown("**Top-rated history** (training part)")
        st.dataframe(rt.history(active, code, 10)[["title", "year", "rating"]], hide_index=True, width="stretch")
    with c2:
        st.markdown("**Top-10 recommendations**")
        recs = rt.recommend(active, code, 10)
        held = set(active.test_frame.loc[active.test_frame["user"] == code, "item"])
        item_codes = {iid: i for i, iid in enumerate(data.items["item_id"])}
        recs["watched later (held out)"] = ["✓" if item_codes.get(i) in held else "" for i in recs["item_id"]]
        st.dataframe(recs[["rank", "title", "year", "because you liked", "watched later (held out)", "score", "genres"]], hide_index=True, width="stretch")
        st.caption(f"{(recs['watched later (held out)'] == '✓').sum()} of these are among the {len(held)} films this user rated in the held-out part.")

# ---- cold start -------------------------------------------------------------------------------
with tabs[1]:
    st.caption("A new visitor picks a few films they liked and/or genres: recommendations come at once from the same model "
               "(one product with its item weights — no retraining).")
    popular = rt.search_titles(active, "", limit=300)
    options = {f"{r.title} ({'' if pd.isna(r.year) else int(r.year)})": int(r.code) for r in popular.itertuples()}
    picked = st.multiselect("Films you liked", list(options), key="rec.cold.films", max_selections=20,
                            placeholder="Choose films (the 300 most watched are listed)")
    all_genres = sorted({g for gs in data.items["genres"].dropna() for g in str(gs).split("|") if g})
    genres = st.multiselect("Genres you like", all_genres, key="rec.cold.genres")
    if picked or genres:
        out = rt.fold_in(active, [options[p] for p in picked], genres, 10)
        st.dataframe(out[["rank", "title", "year", "genres", "score", "because you liked"]], hide_index=True, width="stretch")
    else:
        st.info("Pick at least one film or genre.")

# ---- similar items ----------------------------------------------------------------------------
with tabs[2]:
    q = st.text_input("Search a title", "Matrix", key="rec.sim.q")
    found = rt.search_titles(active, q, limit=30)
    if found.empty:
        st.info(f"No title contains “{q}”.")
    else:
        sel = st.selectbox("Film", found["code"].tolist(), key="rec.sim.item",
                           format_func=lambda c: f"{data.items['title'].iat[c]} ({'' if pd.isna(data.items['year'].iat[c]) else int(data.items['year'].iat[c])}) · {int(active.model.popularity[c])} viewers")
        sim = rt.similar_items(active, int(sel), 10)
        if sim.empty:
            st.info("Too few viewers for this film: it is outside the model's catalogue (at least "
                    f"{active.card['model']['min_count']} training viewers are needed).")
        else:
            fig = px.bar(sim.iloc[::-1], x="weight", y="title", orientation="h", hover_data=["year", "genres"], height=380,
                         title="Nearest neighbours (item weight learned by the model)")
            fig.update_layout(margin=dict(l=10, r=10, t=40, b=10), yaxis_title=None)
            st.plotly_chart(fig, width="stretch")

# ---- model ------------------------------------------------------------------------------------
with tabs[3]:
    rows = [{"model": "PyTorch model (this model)", **report.model}] + [{"model": rt.PEER_LABELS.get(n, n), **m} for n, m in report.baselines.items()]
    table = pd.DataFrame(rows).set_index("model").astype(float)
    st.subheader("Model vs peers on the same split")
    st.dataframe(table.style.format("{:.3f}").highlight_max(axis=0, subset=[c for c in table.columns if c != "popularity_bias"], color="#dcfce7"),
                 width="stretch")
    report_ui.table(table.reset_index(), "Model vs peers on the same split")
    st.caption("NDCG@10 is the primary metric. MAP is normalised by each user's number of held-out films, as in Microsoft Recommenders' tables. "
               "Coverage: share of the catalogue recommended to anyone; novelty: mean −log₂(share of users who watched); "
               "popularity bias: share of recommendations among the 10 % most watched films. "
               "For orientation only (another dataset, MovieLens-100K): Microsoft Recommenders reports NDCG@10 of "
               + ", ".join(f"{k} {v}" for k, v in PUBLISHED.items()) + ".")
    long = table[["ndcg@10", "precision@10", "recall@10", "map", "hr@10"]].reset_index().melt(id_vars="model", var_name="metric")
    fig = px.bar(long, x="metric", y="value", color="model", barmode="group", height=340, title="Accuracy metrics")
    fig.update_layout(margin=dict(l=10, r=10, t=40, b=10), legend_title=None)
    st.plotly_chart(fig, width="stretch")
    report_ui.figure(fig, "Accuracy metrics, model vs peers")
    c1, c2 = st.columns(2)
    f1 = px.bar(table.reset_index(), x="model", y="coverage", title="Catalogue coverage", height=300)
    f2 = px.bar(table.reset_index(), x="model", y="popularity_bias", title="Popularity bias (share from the top 10 %)", height=300)
    for f, c in ((f1, c1), (f2, c2)):
        f.update_layout(margin=dict(l=10, r=10, t=40, b=10), xaxis_title=None)
        c.plotly_chart(f, width="stretch")
    st.markdown("**Training curve** — the model is solved exactly, so instead of epochs it has one knob, the regularisation λ, "
                "chosen on a validation split carved from the training data:")
    hist = pd.DataFrame(active.card.get("history", []))
    if len(hist):
        f = px.line(hist, x="lambda", y="val_ndcg@10", markers=True, log_x=True, height=280)
        f.update_layout(margin=dict(l=10, r=10, t=10, b=10))
        st.plotly_chart(f, width="stretch")
    widgets.model_card(active.card)
    if choice == SHARED:
        training.retrain_panel(KEY)

# ---- business case ----------------------------------------------------------------------------
with tabs[4]:
    lift = rb.offline_lift(report.model["ndcg@10"], report.baselines["most_popular"]["ndcg@10"])
    st.info(f"**Assumption, stated plainly:** offline, the model's NDCG@10 is {lift:+.0%} relative to most-popular. "
            "Online click-through is assumed to rise by that lift times the transfer share below — an assumption to test, "
            "not a measurement (use the A/B planner).", icon=":material/info:")
    a = widgets.assumptions_form(rb.RecAssumptions(), "rec.a", columns=3)
    widgets.reset_button("rec.a")
    v = rb.value(a, lift)
    widgets.kpi_row([
        ("Assumed CTR uplift", f"{v.uplift[1]:+.1%}", f"Range {v.uplift[0]:+.1%} to {v.uplift[2]:+.1%}"),
        ("Revenue/mo", business.money(v.monthly[1]), f"Range {business.money(v.monthly[0])} – {business.money(v.monthly[2])}"),
        ("Per year", business.money(v.annual[1]), f"Range {business.money(v.annual[0])} – {business.money(v.annual[2])}"),
        ("ROI, year 1", f"{v.roi_year1[1]:.0%}" if v.roi_year1[1] is not None else "—", "(12 × (revenue − running cost) − one-off cost) / one-off cost"),
        ("Payback", f"month {v.payback_months[1]}" if v.payback_months[1] else "not within 10 years", "Month when cumulative net value covers the one-off cost"),
    ])
    months = np.arange(1, 37)
    fig = go.Figure()
    for i, (name, color) in enumerate((("Low", "#f59e0b"), ("Base", "#2563eb"), ("High", "#16a34a"))):
        aa = business.scenario(a, name.lower())
        net = rb.incremental_revenue(aa, v.uplift[i]) - aa.monthly_cost
        fig.add_scatter(x=months, y=np.cumsum([net] * 36) - aa.upfront_cost, name=name, line=dict(color=color, width=3 if name == "Base" else 1.5))
    fig.add_hline(y=0, line_dash="dot", line_color="#64748b")
    fig.update_layout(title="Cumulative net value (€)", xaxis_title="Month", height=340, margin=dict(l=10, r=10, t=40, b=10))
    st.plotly_chart(fig, width="stretch")
    report_ui.kpis([("Assumed CTR uplift", f"{v.uplift[1]:+.1%}"), ("Revenue / month", business.money(v.monthly[1])),
                    ("Payback", f"month {v.payback_months[1]}" if v.payback_months[1] else "beyond 10 years")])
    report_ui.figure(fig, "Cumulative net value, low / base / high")

# ---- A/B planner ------------------------------------------------------------------------------
with tabs[5]:
    scenario.default("rec.ab.p1", float(a.baseline_ctr), lo=0.0001, hi=0.9999)
    scenario.default("rec.ab.up", float(round(min(5.0, max(-0.9, v.uplift[1])), 4)), lo=-0.9, hi=5.0)
    scenario.default("rec.ab.alpha", 0.05, options=[0.01, 0.05, 0.1])
    scenario.default("rec.ab.power", 0.8, options=[0.7, 0.8, 0.9, 0.95])
    scenario.default("rec.ab.daily", float(round(a.monthly_sessions / 30.4)), lo=1.0, hi=1e10)
    scenario.default("rec.ab.share", 0.5, lo=0.01, hi=1.0)
    c1, c2, c3, c4 = st.columns(4)
    p1 = c1.number_input("Baseline click-through", 0.0001, 0.9999, step=0.005, format="%.4f", key="rec.ab.p1")
    up = c2.number_input("Uplift to detect (relative)", -0.9, 5.0, step=0.01, format="%.3f", key="rec.ab.up",
                         help="Starts at the projected base uplift from the business case.")
    alpha = c3.select_slider("Significance α", [0.01, 0.05, 0.1], key="rec.ab.alpha")
    power = c4.select_slider("Power", [0.7, 0.8, 0.9, 0.95], key="rec.ab.power")
    c1, c2 = st.columns(2)
    daily = c1.number_input("Sessions per day", 1.0, 1e10, step=1000.0, key="rec.ab.daily")
    share = c2.slider("Share of traffic in the test", 0.01, 1.0, step=0.01, key="rec.ab.share")
    widgets.reset_button("rec.ab", "Reset the planner")
    try:
        n = rb.sample_size_per_arm(p1, up, alpha, power)
        days = rb.ab_test_days(n, daily, share)
        widgets.kpi_row([("Sessions per arm", f"{n:,}"), ("Total sessions", f"{2 * n:,}"), ("Duration", f"{days:,.1f} days" if days < 1e6 else "—")])
        st.caption("Two-sided two-proportion z-test without continuity correction (Fleiss, Levin & Paik, eq. 4.14). "
                   "Run at least one full week to cover weekday effects, whatever the computed duration.")
    except ValueError as exc:
        st.error(f"Cannot size this test: {exc}.")

# ---- batch ------------------------------------------------------------------------------------
with tabs[6]:
    st.caption("Upload a list of user ids (one per row, header optional) → top-N for each as a CSV.")
    nn = st.number_input("Recommendations per user", 1, 100, 10, key="rec.batch.n")
    example = pd.DataFrame({"user_id": data.user_ids[:3]})
    got = upload.upload_table(rt.USERS_SCHEMA, key="rec.batch", label="User ids CSV", example=example, example_name="users-example.csv",
                              parse=lambda raw, name: rt.score_file(active, raw, name, int(nn)))
    if got is not None:
        out = got[0]
        st.dataframe(out.head(200), hide_index=True, width="stretch")
        widgets.download_csv(out, "recommendations.csv", "Download recommendations CSV", key="rec.batch.dl")
    st.caption("Same from the command line: `python -m usecases score recommendation users.csv -o recommendations.csv`.")

# ---- your data --------------------------------------------------------------------------------
with tabs[7]:
    st.caption("Upload ratings or implicit feedback — user, item, optional rating, optional timestamp; delimiter and header are detected "
               "(MovieLens `u.data` works as is) — and optionally an item titles file. The model and peers are trained and evaluated "
               "with the same protocol, in this session only; your files stay in memory.")
    ex = pd.DataFrame({"user": ["u1", "u1", "u1", "u1", "u2"], "item": ["i1", "i2", "i3", "i4", "i2"], "rating": [5, 3, 4, 2, 5],
                       "timestamp": [1260759144, 1260759179, 1260759182, 1260759185, 1260759205]})
    titles_file = st.file_uploader("Item titles (optional): item_id, title[, genres, year]", type=["csv", "txt", "tsv"], key="rec.own.titles")
    got = upload.upload_table(rdata.INTERACTIONS_SCHEMA, key="rec.own", label="Interactions file", example=ex, example_name="interactions-example.csv",
                              parse=lambda raw, name: rdata.read_interactions(raw, name, titles_file.getvalue() if titles_file else None,
                                                                              titles_file.name if titles_file else "titles.csv"))
    jm = session_jobs()
    if got is not None:
        inter = got[0]
        st.success(f"{inter.source}: {inter.n_users:,} users, {inter.n_items:,} items.")
        if st.button("Train and evaluate on my file", type="primary", key="rec.own.go", icon=":material/play_arrow:"):
            label = f"Your file · {got[2]}"
            training.start_session_run(jm, "rec-own", f"Training on {got[2]}", functools.partial(rec.train, rec.Config(), data=inter), runs, label,
                                       metric="ndcg@10", metric_label="NDCG@10")
    training.job_progress(jm, "rec-own")
    st.caption("Command line: `python -m usecases train recommendation --data ratings.csv`.")

st.divider()
report_ui.download(assumptions=a, card=active.card, text=f"Model in view: {choice}. {report.data['source']}; {report.data['split']}.")
