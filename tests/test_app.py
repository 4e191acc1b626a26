"""Streamlit AppTest: the entry point and every page run without exceptions, in both the trained and
the not-trained-yet states; the fraud page's main interactions work."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "app.py")
PAGES = ["views/home.py", "views/text_generation.py", "views/fraud_detection.py", "views/recommendation.py", "views/medical_triage.py"]
TIMEOUT = 300


_LAST_STORE: list = [object()]


def _fresh(monkeypatch, store_dir: Path | None = None) -> AppTest:
    """A new AppTest. Server-wide caches (loaded models, their evaluations) are kept between tests
    that use the same model store, as they are between sessions of a real server."""
    if _LAST_STORE[0] != store_dir:
        st.cache_resource.clear()
        st.cache_data.clear()
        _LAST_STORE[0] = store_dir
    if store_dir is not None:
        monkeypatch.setenv("UCLAB_MODEL_DIR", str(store_dir))
    else:
        monkeypatch.delenv("UCLAB_MODEL_DIR", raising=False)
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def _no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_the_shipped_models(monkeypatch, page):
    at = _fresh(monkeypatch)
    at.run()
    _no_exceptions(at)
    side = " ".join(str(getattr(x, "value", "")) for x in at.sidebar)
    assert "Device:" in side and "torch" in side, "the sidebar shows the device in use"
    assert "Fraud detection:" in side, "the sidebar shows each model's status"
    # without a figure: the card's κ 0.912 (at the 3× rule) stayed there while the triage page read 0.888 at a user's 6×
    assert re.search(r"Medical triage: ready v\d+$", side, re.M) or re.search(r"Medical triage: ready v\d+ ", side), side
    assert "κ" not in side and "Average precision" not in side, side
    at.switch_page(page).run()
    _no_exceptions(at)
    assert at.title, "the page drew its title"


@pytest.mark.parametrize("page", PAGES[1:])
def test_pages_without_models_say_not_trained_yet(monkeypatch, tmp_path, page):
    at = _fresh(monkeypatch, tmp_path / "empty")
    at.run()
    at.switch_page(page).run()
    _no_exceptions(at)
    text = " ".join(i.value for i in at.info)
    assert "not trained yet — train it here" in text
    assert any(b.label in ("Train it now",) for b in at.button)


def test_corrupt_model_shows_the_unusable_message_and_other_pages_work(monkeypatch, tmp_path):
    import shutil

    store = tmp_path / "models"
    shutil.copytree(ROOT / "models" / "fraud", store / "fraud")
    w = store / "fraud" / "model.safetensors"
    w.write_bytes(w.read_bytes()[:1000])
    at = _fresh(monkeypatch, store)
    at.run()
    at.switch_page("views/fraud_detection.py").run()
    _no_exceptions(at)
    assert any("fraud model is unusable" in e.value and "Retrain button" in e.value for e in at.error)
    at.switch_page("views/home.py").run()
    _no_exceptions(at)


def test_fraud_threshold_and_upload(monkeypatch):
    at = _fresh(monkeypatch)
    at.run()
    at.switch_page("views/fraud_detection.py").run()
    _no_exceptions(at)
    kpis = {m.label: m.value for m in at.metric}
    assert any(k.startswith("Frauds caught") for k in kpis)
    before = next(v for k, v in kpis.items() if k.startswith("Frauds caught"))
    at.segmented_control(key="fraud.mode").set_value("Manual").run()
    at.slider(key="fraud.threshold").set_value(0.97).run()  # above the profit-optimal threshold (0.910 for the shipped model)
    _no_exceptions(at)
    after = next(m.value for m in at.metric if m.label.startswith("Frauds caught"))
    assert int(after.replace(",", "")) < int(before.replace(",", ""))
    # Batch scoring: upload a CSV, get scores and a download.
    from tests.test_fraud import _raw_csv

    at.file_uploader(key="fraud.batch").set_value(("tx.csv", _raw_csv(label=True), "text/csv")).run()
    _no_exceptions(at)
    assert any(m.label == "Transactions" and m.value == "60" for m in at.metric)
    assert any(b.label == "Download scored CSV" for b in at.get("download_button"))
    # A bad upload gets one clear message, not a traceback.
    at.file_uploader(key="fraud.batch").set_value(("bad.csv", b"transaction_id,amount\nT1,abc\n", "text/csv")).run()
    _no_exceptions(at)
    assert any("missing columns datetime, customer_id, terminal_id" in e.value for e in at.error)


def test_recommendation_user_cold_start_and_batch(monkeypatch):
    at = _fresh(monkeypatch)
    at.run()
    at.switch_page("views/recommendation.py").run()
    _no_exceptions(at)
    at.selectbox(key="rec.user").set_value("6").run()
    _no_exceptions(at)
    frames = [d.value for d in at.dataframe]
    recs = next(f for f in frames if "because you liked" in f.columns)
    assert len(recs) == 10 and recs["rank"].tolist() == list(range(1, 11))
    films = at.multiselect(key="rec.cold.films")
    films.set_value([o for o in films.options[:3]]).run()
    _no_exceptions(at)
    assert sum("because you liked" in d.value.columns for d in at.dataframe) >= 2
    at.file_uploader(key="rec.batch").set_value(("users.csv", b"user_id\n1\n2\n", "text/csv")).run()
    _no_exceptions(at)
    assert any(b.label == "Download recommendations CSV" for b in at.get("download_button"))
    at.file_uploader(key="rec.batch").set_value(("users.csv", b"user_id\nnobody\n", "text/csv")).run()
    assert any("unknown user id" in e.value for e in at.error)


def test_triage_form_refuses_implausible_and_upload_maps(monkeypatch):
    at = _fresh(monkeypatch)
    at.run()
    at.switch_page("views/medical_triage.py").run()
    _no_exceptions(at)
    assert any("not a diagnosis" in w.value for w in at.warning)
    assert any("Suggested level" in m.value for m in at.markdown)
    at.number_input(key="triage.f.spo2").set_value(101.0)
    at.form_submit_button[0].click().run()
    _no_exceptions(at)
    assert any("SpO₂ 101 is outside the plausible range" in e.value for e in at.error)
    at.number_input(key="triage.f.spo2").set_value(95.0)
    at.number_input(key="triage.f.dbp").set_value(130.0)
    at.form_submit_button[0].click().run()
    assert any("Diastolic BP (130) must be lower than systolic BP" in e.value for e in at.error)
    from tests.test_triage import _messy

    at.file_uploader(key="triage.own").set_value(("export.csv", _messy(), "text/csv")).run()
    _no_exceptions(at)
    assert any("Dropped as possible identifiers" in w.value and "Telefon" in w.value for w in at.warning)
    at.selectbox(key="triage.map.level").set_value("KTAS").run()
    _no_exceptions(at)
    assert any("labelled records ready" in s.value for s in at.success)
    # Training waits until the person confirms the mapping it shows.
    assert next(b for b in at.button if b.label == "Train and evaluate on my records").disabled
    at.checkbox(key="triage.map.confirm").check().run()
    # Train on them in this session's background job; the result becomes a "Model in view" choice. The page trains the
    # default config; here the smoke config's few epochs with the default learner (both parts and the linear model), as
    # this follows the page, not the fit (45 s → 30 s alone).
    import dataclasses

    from usecases import triage

    default = triage.Config
    monkeypatch.setattr(triage, "Config", lambda: dataclasses.replace(default.quick(), learner=default().learner))
    next(b for b in at.button if b.label == "Train and evaluate on my records").click().run()
    job = at.session_state["_session_jobs"].get("triage-own")
    job.thread.join(timeout=TIMEOUT)
    assert job.state == "done", job.message
    at.run()
    _no_exceptions(at)
    assert "Your records · export.csv" in at.selectbox(key="triage.view").options
    at.selectbox(key="triage.view").set_value("Your records · export.csv").run()
    _no_exceptions(at)


def test_training_curves_of_folds_are_separate_lines_not_a_sawtooth():
    """A history whose step restarts (one fold or ensemble member after another) draws one line per fold in the metric's
    colour; joined end to start they drew a sawtooth."""
    from dashboard.components.training import history_figure

    hist = [{"step": s, "train_loss": 1.0 / s, "seconds": s} for _ in range(3) for s in (1, 2, 3)]
    fig = history_figure(hist, ("train_loss",))
    lines = [tr for tr in fig.data if tr.name == "training loss"]  # in words: the legend showed "train_loss"
    assert len(lines) == 3 and all(list(tr.x) == [1, 2, 3] for tr in lines)
    assert sum(bool(tr.showlegend) for tr in lines) == 1  # one legend entry for the metric
    blend = [dict(h, part=p) for p in ("MLP", "TabM") for h in hist[:3]]  # learners of a blend stay apart too
    assert {tr.name for tr in history_figure(blend).data} == {"MLP · training loss", "TabM · training loss"}
    assert fig.layout.yaxis.title.text == "training loss"
    # Three metrics named on the y axis were cut off ("training loss · validation loss · validatio"): the title names them.
    three = history_figure([dict(h, val_loss=0.5, val_kappa=0.8) for h in hist], ("train_loss", "val_loss", "val_kappa"))
    # ... and a score beside losses gets its own axis, named (κ and the losses had shared one unnamed axis)
    assert three.layout.yaxis.title.text == "loss" and three.layout.yaxis2.title.text == "validation κ"
    assert {tr.yaxis for tr in three.data if tr.name == "validation κ"} == {"y2"} and {tr.yaxis for tr in three.data if tr.name.endswith("loss")} == {"y"}
    # bits per byte are losses, not scores; an iteration counter and a 0/1 flag are not drawn (the text model's Retrain chart)
    text = history_figure([dict(h, iter=100 * h["step"], val_bpb=1.5, ngram_bpb=1.4, beats_ngram=0.0) for h in hist])
    assert {tr.name for tr in text.data} == {"training loss", "validation bits per byte", "n-gram bits per byte"}
    assert "yaxis2" not in text.layout.to_plotly_json() and {tr.yaxis for tr in text.data} <= {"y", None}
    assert three.layout.title.text == "Training curve: training loss, validation loss and validation κ per step"
    # A job's rows may say what runs ("stage", words): drawn, the words became a curve of strings on the loss axis.
    # A member number (TabM's rows: 1, 2, …) was drawn as a flat "member" line beside the losses.
    staged = history_figure([dict(h, stage="fold 1 of 5 · neural networks", member=1) for h in hist] + [{"step": 4, "stage": "fold 1 of 5 · peer"}] * 2)
    assert {tr.name for tr in staged.data} == {"training loss"} and staged.layout.yaxis.title.text == "training loss"


def test_a_running_jobs_chart_is_built_once_for_every_session_that_shows_it():
    """Each session showing a running job rebuilt its chart on every poll, ~0.1 s of Python each: with the collection after
    every run (tests/test_portal.py) ten sessions on the triage page starved the retrain they watched. One figure per entry now."""
    from dashboard.components.training import POLL_SECONDS, _job_figure

    hist = [{"step": s, "train_loss": 1.0 / s, "seconds": s} for s in (1, 2, 3)]
    first = _job_figure("demo", 123.0, 3, ("train_loss",), hist)
    assert _job_figure("demo", 123.0, 3, ("train_loss",), hist) is first  # another session, same entries: the same figure
    hist.append({"step": 4, "train_loss": 0.25, "seconds": 4})
    again = _job_figure("demo", 123.0, 3, ("train_loss",), hist)
    assert again is first and list(again.data[0].x) == [1, 2, 3]  # built from the entries it was asked for, not the list's later length
    newer = _job_figure("demo", 123.0, 4, ("train_loss",), hist)
    assert newer is not first and list(newer.data[0].x) == [1, 2, 3, 4]
    assert POLL_SECONDS >= 2.0


def test_the_card_of_an_unsaved_session_model_says_so_instead_of_zeros():
    """A recommendation model trained in the browser showed "Parameters 0", blank version and date, and "Weights sha256 …":
    the store fills those when it saves. The summary says the model is not saved; a saved card shows its own values."""
    import json

    from dashboard.components.widgets import card_rows

    rows = dict(card_rows({"data": {"source": "your file “c.csv”"}, "device": {"name": "CPU"}}))
    assert rows["Parameters"] == "counted when saved" and rows["Version"] == rows["Weights sha256"] == "— (not saved: this session only)"
    assert rows["Training time"] == "not recorded"
    shipped = json.loads((Path(__file__).resolve().parents[1] / "models" / "triage" / "card.json").read_text())
    rows = dict(card_rows(shipped))
    assert rows["Parameters"] == f"{shipped['parameter_count']:,}" and rows["Weights sha256"] == shipped["sha256"][:16] + "…"
    assert str(rows["Version"]) == str(shipped["version"]) and rows["Training time"] == f"{shipped['training_seconds']:.1f} s"
    # recommendation's card keeps the model's fit apart from the whole run: both are said (a report had given the fit alone,
    # 9.8 s, for a run the page said took 35 s; a sweep, 2026-12-07)
    rec = json.loads((Path(__file__).resolve().parents[1] / "models" / "recommendation" / "card.json").read_text())
    assert dict(card_rows(rec))["Training time"] == (f"{rec['training_seconds']:.1f} s for the model, {rec['total_seconds']:.1f} s in all "
                                                     "with the peers and the evaluation")
    from usecases.core.report import card_brief

    assert dict(card_brief(rec))["Training time"].startswith(f"{rec['training_seconds']:,.0f} s for the model, {rec['total_seconds']:,.0f} s in all")


def test_retrain_buttons_say_what_they_train_on_and_how_long_it_took():
    """The recommendation and triage Model tabs had a bare "Retrain" button: nothing on what it replaces or how long it runs."""
    from dashboard.components import training

    line = training.retrain_intro({"training_seconds": 108.3, "device": {"name": "CPU (x86_64)"}}, "the synthetic cohort")
    assert line == ("**Retrain the shared model** on the synthetic cohort. The last training took 1.8 min on CPU (x86_64). "
                    "Every session gets the new model when it finishes.")
    assert "took 45 s." in training.retrain_intro({"training_seconds": 45.0}, "x")
    assert "took" not in training.retrain_intro({}, "x")
    # recommendation's card keeps its fit (90 s) apart from the run (164 s): a Retrain runs all of it (a review, 2026-12-07)
    assert "took 2.7 min." in training.retrain_intro({"training_seconds": 89.99, "total_seconds": 164.28}, "x")
    # a text card's 101 s and 102 s are one run, not "for the model" and "with the peers"
    from usecases.core.report import training_times

    assert training_times({"training_seconds": 101.28, "total_seconds": 102.32}) == (101.28, None)
    # and a text run that is much longer than its loop is not said to hold peers it has none of (a sweep, 2026-12-07: "18.1s for
    # the model, 147.6s in all with the peers and the evaluation")
    from usecases.core.report import card_brief

    text = dict(card_brief({"usecase": "textgen", "training_seconds": 18.1, "total_seconds": 147.6}))["Training time"]
    assert text == "18 s for the model, 148 s in all with preparing the corpus and the n-gram and writing the sample drafts", text
    assert "with the peers" in dict(card_brief({"usecase": "triage", "training_seconds": 18.1, "total_seconds": 147.6}))["Training time"]
    # the shipped fraud card of 2026-11-29, written before the device wording was fixed, made the line read "on CPU (x86_64, 1 threads)"
    legacy = {"training_seconds": 409.48, "device": {"name": "CPU (x86_64, 1 threads)"}}
    line = training.retrain_intro(legacy, "x")
    assert "1 threads" not in line and "x86_64, 1 thread)." in line, line
    assert training.retrain_intro({"training_seconds": 5, "device": {"name": "CPU (x86_64, 1 torch threads on 2 cores)"}}, "x").count(
        "1 torch thread on 2 cores") == 1
    assert "2 threads" in training.retrain_intro({"training_seconds": 5, "device": {"name": "CPU (x86_64, 2 threads)"}}, "x")
    for view in ("recommendation", "medical_triage", "fraud_detection"):
        src = (Path(__file__).resolve().parents[1] / "dashboard" / "views" / f"{view}.py").read_text()
        assert "retrain_intro(" in src, view


def test_home_warns_beside_the_triage_verdict_what_it_hides(monkeypatch):
    """Home's triage card read "Tie" (κ 0.912 vs LightGBM's 0.911, a grey arrow) and nothing else, while the page warns that on
    level 1 alone the model under-triages more patients than the simulated nurse (15 against 10 of 58): the card says it too."""
    from usecases import triage
    from usecases.core.store import ModelStore
    from usecases.triage.pipeline import evaluate

    caveat = evaluate(triage.load(ModelStore(ROOT / "models"))).caveat()
    assert caveat.startswith("On level 1 alone")
    at = _fresh(monkeypatch)
    at.run()  # Home
    _no_exceptions(at)
    assert [w.value for w in at.warning if w.value.startswith("On level 1 alone")] == [caveat]
    # the whisker's low case can rise with a typed cost: the caption says a typed value is held in both cases (2026-12-07)
    assert any("A value you typed on a page is held at your value in both cases" in c.value for c in at.caption)
    # and the fraud card carries the Business case's word on money (a tie with the random forest at the shipped defaults)
    assert any("in money a tie with the random forest" in c.value for c in at.caption)
    from dashboard.components.report import use_case_section  # and the portfolio report's triage section, as a warning

    sec = use_case_section(triage.SPEC, evaluate(triage.load(ModelStore(ROOT / "models"))))
    assert ("warning", caveat) in sec.notes and sec.notes[0][1].endswith("neither is shown to be better on this data.") and caveat not in sec.text


def test_a_share_is_typed_in_per_cent_and_kept_as_a_share():
    """Shares were typed as 0.40 beside text that said 40 % (noticed in several sessions' walkthroughs). The input now
    shows and takes per cent; the value the page computes with — and the one the scenario file and the URL keep — stays the
    share, so a saved scenario reads as before, and a share loaded from one shows in the box."""

    def page():
        import streamlit as st

        from dashboard.components import widgets
        from usecases.recommendation.business import Assumptions

        v = widgets.assumption_input(Assumptions(), "margin", "rec.a")
        st.write(f"value={v!r}")

    at = AppTest.from_function(page, default_timeout=TIMEOUT).run()
    box = at.number_input(key="rec.a.margin%")
    assert box.value == 40.0 and box.label == "Margin kept on the extra sales (%)" and "25 % / 55 %" in box.help
    assert at.session_state["rec.a.margin"] == 0.4 and "value=0.4" in at.markdown[0].value
    box.set_value(25.0).run()
    assert at.session_state["rec.a.margin"] == 0.25 and "value=0.25" in at.markdown[0].value
    at.session_state["rec.a.margin"] = 0.6  # a scenario loaded, or a URL: the share rules and the box follows
    at.run()
    assert at.number_input(key="rec.a.margin%").value == 60.0 and "value=0.6" in at.markdown[0].value


def test_the_best_cells_are_read_as_displayed_and_a_tie_marks_both_rows():
    """Two over-triage rates that both read 0.042 (0.0418 and 0.0423) had one highlighted; under "Tie: PyTorch model 0.912 vs
    LightGBM 0.911" the model's κ alone was green."""
    import pandas as pd

    from dashboard.components.widgets import best_cells
    from usecases.core import fmt

    values = pd.DataFrame({"κ": [0.9123, 0.9110, 0.805], "over": [0.0491, 0.0423, 0.0418]}, index=["model", "LightGBM", "regression"])
    shown = values.apply(lambda c: c.map(fmt.metric))
    best = best_cells(values, shown, lower_better=["over"])
    assert best["over"].tolist() == [False, True, True] and best["κ"].tolist() == [True, False, False]
    tied = best_cells(values, shown, lower_better=["over"], tie=("κ", ["model", "LightGBM"]))
    assert tied["κ"].tolist() == [True, True, False] and tied["over"].tolist() == [False, True, True]
    # a third row better than both tied rows keeps the column's mark alone
    more = pd.concat([values, pd.DataFrame({"κ": [0.95], "over": [0.06]}, index=["published"])])
    shown_more = more.apply(lambda c: c.map(fmt.metric))
    assert best_cells(more, shown_more, ["over"], tie=("κ", ["model", "LightGBM"]))["κ"].tolist() == [False, False, False, True]


def test_the_progress_line_says_its_metrics_in_words():
    """"val_bpb 3.478 · ngram_bpb 2.867 · beats_ngram 0" had stood under a training's progress bar (a sweep, 2026-12-07)."""
    from dashboard.components.training import progress_text

    line = progress_text(3, 10, {"step": 3, "train_loss": 1.25, "val_bpb": 3.478, "ngram_bpb": 2.867, "beats_ngram": 0.0, "stage": "fold 2"})
    assert line == "step 3 of 10 · fold 2 · training loss 1.25 · validation bits per byte 3.478 · n-gram bits per byte 2.867"


def test_the_command_lines_bar_drops_a_stage_once_it_is_over(capsys):
    """Text training says "preparing …" before its loop; the loop's rows name no stage, and the CLI's bar had kept the word
    through the whole run (2026-12-07)."""
    from usecases.core.runner import tqdm_progress

    update, close = tqdm_progress("train textgen")
    update(0, 1, {"stage": "preparing: tokenizer"})
    assert "preparing" in capsys.readouterr().err.split("\r")[-1]
    update(5, 10, {"train_loss": 1.25})
    last = capsys.readouterr().err.split("\r")[-1]
    close()
    assert last.startswith("train textgen:") and "preparing" not in last and "train_loss=1.25" in last, last


def test_a_paired_win_beside_overlapping_ranges_says_why():
    """"Better in all 100 resamples" stood beside min – max columns that overlap (NDCG 0.372–0.435 against EASE's 0.347–0.406),
    which an executive reads as a tie (a walkthrough, 2026-12-07): the verdict says the ranges overlap because each resample
    holds other rows and the models are compared on the same rows of each."""
    from usecases.core.spec import DataInfo, Evaluation

    def ev(model, peer):
        return Evaluation(usecase="t", primary_metric="ndcg", higher_is_better=True, model={"ndcg": sum(model) / len(model)},
                          baselines={"ease": {"ndcg": sum(peer) / len(peer)}}, data=DataInfo(source="s", rows=1, split="s"),
                          folds={"model": {"ndcg": model}, "ease": {"ndcg": peer}}, spread_unit="resamples")

    overlapping = ev([0.40, 0.43, 0.37, 0.41], [0.38, 0.40, 0.35, 0.39])
    assert overlapping.verdict().winner == "model" and "overlap because each of the resamples holds other rows" in overlapping.paired_note()
    apart = ev([0.50, 0.52, 0.51, 0.53], [0.38, 0.40, 0.35, 0.39])
    assert apart.verdict().winner == "model" and apart.paired_note() == ""  # nothing to explain
    tie = ev([0.40, 0.38, 0.37, 0.41], [0.38, 0.40, 0.36, 0.39])
    assert tie.verdict().tie and tie.paired_note() == ""
