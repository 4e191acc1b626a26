"""The text page and Home (AppTest): one net value for both, machine prices shared with Home, GPU cost
stated only when measured, no corpus rebuild on a visit, own-corpus models private to the session."""

from __future__ import annotations

import dataclasses
import shutil
import time

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from usecases import textgen
from usecases.core.store import REPO_ROOT, ModelStore
from usecases.textgen import serving, stackdocs
from usecases.textgen.corpus import read_corpus

APP = str(REPO_ROOT / "dashboard" / "app.py")
PAGE = "views/text_generation.py"


def _metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert len(found) == 1, (label, [m.label for m in at.metric])
    return found[0]


@pytest.fixture
def shipped_only(tmp_path, monkeypatch):
    """A store holding only the shipped text model (the other cards say "not trained yet"), a fixed
    generation speed, and a corpus that must not be rebuilt."""
    src = REPO_ROOT / "models" / "textgen"
    if not (src / "card.json").exists():
        pytest.skip("no shipped textgen checkpoint")
    store = tmp_path / "models"
    (store / "textgen").mkdir(parents=True)
    for f in ("card.json", "model.safetensors", "evaluation.safetensors"):
        shutil.copy(src / f, store / "textgen" / f)
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(store))
    monkeypatch.setattr(serving, "_MEASURED", {})
    monkeypatch.setattr(serving, "_tokens_per_second", lambda trained: 40.0)  # 40 tokens/s on this CPU
    monkeypatch.setattr(stackdocs, "stack_corpus", lambda: pytest.fail("a page visit rebuilt the 27 MB corpus"))
    st.cache_resource.clear()
    yield store
    st.cache_resource.clear()


def test_home_and_the_text_page_show_one_net_value_and_share_machine_prices(shipped_only):
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    home_net = _metric(at, "Net value / month")  # only the text model is in this store, so only its card is priced
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "Net value / month") == home_net
    # the budget slider said nothing of what a budget buys: a larger model, and minutes before a GPT beats the n-gram on a CPU
    budget = at.select_slider(key="tg.budget")
    tip = budget.help
    assert "larger model" in tip and "How long each needs to pass the 5-gram" in tip, tip
    # It stopped at 15 minutes, while the documentation corpus needs about 36 on one CPU thread to pass its 5-gram.
    assert budget.options[-1] == "60 min" and "36 minutes" in tip and budget.value == 120, (budget.options, budget.value)
    assert _metric(at, "GPU cost / 1M tokens") == "not measured"  # no GPU measured here: no assumed GPU price per token
    assert _metric(at, "CPU cost / 1M tokens") == "€0.69"  # €0.10/h ÷ (40 tokens/s × 3,600 s) × 1M
    # The shipped GPT beats the 4-gram, so no n-gram warning; but only 46 % of its drafts are usable (80 % required; measured on
    # 200 held-out prompts), and the business case says so instead of counting editor time.
    assert not any("n-gram" in s.value for s in at.warning), [s.value for s in at.warning]
    gate = [s.value for s in at.warning if "No editor time is counted" in s.value]
    assert gate and "only 46 % of its drafts are usable (92 of 200 held-out prompts; 95 % interval 39–53 %), below the 80 % required" in gate[0], gate
    assert _metric(at, "Editor time saved / month") == "€0"
    helps = {m.label: m.help for m in at.metric}  # "Range €0" named the value a range; "€300 (€600 – €150)" ran backwards
    assert helps["Editor time saved / month"] == "Under the low / high assumptions: €0 in every case."
    assert "; low case €" in helps["Self-hosting / month"] and "high case €" in helps["Self-hosting / month"] and "range" not in helps["Self-hosting / month"]
    # The comparison box said "158,647 scored" (of what?) and gave the split as code ("int(sha256(module name)[:8], 16) % 100 < 5").
    box = " ".join([s.value for s in at.success] + [s.value for s in at.info] + [s.value for s in at.warning])
    assert "158,647 bytes scored" in box and "5 % of the module names, picked by a hash of the name" in box and "sha256(" not in box
    # the page's report carries every Model tile: it had the parameters and bits per byte, not the real words (97 %) or the
    # usable drafts (46 %) that gate the editor time (a sweep, 2026-12-05)
    reported = dict(at.session_state["_report_sections"].kpis)
    tiles = {m.label: m.value for m in at.metric}
    for label in ("Parameters", "Bits per byte", "Real words", "Usable drafts", "Repeat, tokens"):
        assert reported[label] == tiles[label], (label, reported)
    assert reported["Usable drafts"] == "46 %"
    # The held-out docs are nearly ASCII: bits per character equalled bits per byte (1.111) in a second column. One column, one line why.
    tables = [t.value for t in at.dataframe if "Bits per byte" in t.value.columns]
    assert tables and "Bits per character" not in tables[0].columns
    assert any("nearly every character of the held-out text is one byte (158,647 bytes, 158,646 characters)" in c.value for c in at.caption), \
        [c.value for c in at.caption]
    # The cost chart's break-even label had not shown (on a log axis an annotation's x is the exponent) and your volume was not
    # marked (a walkthrough, 2026-12-07): both labels stand inside the axis, at the lines they name.
    import math

    fig = next(f for c, f in at.session_state["_report_sections"].figures if c.startswith("Monthly cost by volume"))
    lines = {round(math.log10(sh.x0), 6) for sh in fig.layout.shapes}
    labels = {a.text.split(" ")[0]: a.x for a in fig.layout.annotations if a.text.startswith(("break-even", "your volume"))}
    assert set(labels) == {"break-even", "your"} and all(round(x, 6) in lines and 4 <= x <= 10 for x in labels.values()), (labels, lines)
    # "€300 vs €3.60" was left without saying which way it points; the page says which option costs less at this volume.
    md = " ".join(m.value for m in at.markdown)
    assert "It writes text that *looks like* API documentation" in md  # the shipped model's own description
    assert "€301 vs €3.60" in md and "**At your volume the hosted API costs less**, by €298 a month — on cost alone" in md
    # Home's card gave this value's range, which the tab kept in a tooltip
    # ... in one pair of brackets ("−€300 (−€600 to −€150) (base, low – high assumptions)" had two)
    net = [c.value for c in at.caption if c.value.startswith("Net value per month after the self-hosting cost")]
    assert net and ": −€" in net[0] and "to −€" in net[0] and net[0].count("(") == 1 and "at the base assumptions, low – high in brackets — the figure and range Home shows" in net[0], net
    # The CPU price typed on the text page is Home's price: the text value and Home's card both follow it.
    at.number_input(key="home.p.cpu_price").set_value(40.0).run()
    assert not at.exception, [e.value for e in at.exception]
    page_net = _metric(at, "Net value / month")
    assert _metric(at, "CPU cost / 1M tokens") == "€278"  # €40/h at 40 tokens/s
    assert page_net != home_net and page_net.startswith("−€")  # 1.8 M tokens at €0.28 per 1k: about €800 a month more
    at.switch_page("views/home.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key="home.p.cpu_price").value == 40.0
    assert _metric(at, "Net value / month") == page_net


def _open_on(store_dir, monkeypatch) -> AppTest:
    """The text page on the model store ``store_dir``, opened through Home as a visitor would."""
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(store_dir))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _code_corpus():
    return read_corpus([("a.txt", ("".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(200)) + "".join(f"class A{i}:\n    pass\n\n" for i in range(200))).encode())])


def test_page_keeps_own_corpus_models_private_to_the_session(tmp_path, monkeypatch):
    store_dir = tmp_path / "models"
    with pytest.MonkeyPatch.context() as mp:  # a small "shipped" model; its quality samples are not read here
        mp.setattr(textgen.quality, "measure", lambda *a, **k: {})
        textgen.save(textgen.train(textgen.Config.quick(), data=_code_corpus()), ModelStore(store_dir))
    at = _open_on(store_dir, monkeypatch)
    text = "".join(f"The function {i} returns a value. The class {i} holds state. " for i in range(120)).encode()
    at.file_uploader(key="tg.corpus").set_value(("notes.txt", text, "text/plain")).run()
    at.select_slider(key="tg.budget").set_value(10).run()
    measure = textgen.quality.measure

    def slow(*a, **kw):  # the drafts take four seconds more, so the whole run reads longer than the loop (by over 10 % and 1 s)
        time.sleep(4.0)
        return measure(*a, **kw)

    monkeypatch.setattr(textgen.quality, "measure", slow)
    at.button(key="tg.train").click().run()
    for _ in range(120):
        time.sleep(1)
        at.run()
        jm = at.session_state["_session_jobs"]
        if not jm.running("tg-own"):
            break
    assert jm.get("tg-own").state == "done", jm.get("tg-own").message
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert ModelStore(store_dir).keys("textgen/custom") == []  # nothing written for other sessions
    mine = "Your model · notes (this session)"  # named after the file (every corpus was "my-model")
    assert mine in at.selectbox(key="tg.model").options and mine in at.selectbox(key="tg.view").options
    # The model just trained is put in view by itself (a presenter kept discussing the shipped one after "pick it under …").
    assert at.selectbox(key="tg.view").value == mine and "now in view" in jm.get("tg-own").message
    assert at.selectbox(key="tg.model").value == mine  # Generate follows the model in view (it stayed on the shipped one)
    # the page's first line names what the model in view was trained on (it named the shipped model's documentation corpus)
    head = at.caption[0].value
    assert "notes.txt" in head and textgen.SPEC.data_source not in head, head
    assert any(mine in m.value and ("wins" in m.value or "Tie" in m.value or "ahead" in m.value) for m in at.markdown)
    at.selectbox(key="tg.view").set_value(mine).run()  # its evaluation and value in the Model and Business tabs
    assert not at.exception, [e.value for e in at.exception]
    good_for = next(m.value for m in at.markdown if m.value.startswith("**What it is good for, and what not.**"))
    assert "*looks like* its training corpus" in good_for and "API documentation" not in good_for  # not the shipped model's words
    ev = textgen.evaluate(at.session_state["tg.runs"][mine])
    # a model behind the n-gram is not praised for writing like its corpus, and the time reads in seconds ("0.09 min")
    assert ("It writes text that" in good_for) == ev.beats_ngram and ("this one does not yet" in good_for) != ev.beats_ngram
    # "behind a simple n-gram" under a verdict of a tie (an analyst walkthrough, 2026-12-07): the words follow the verdict
    assert ("is behind a simple n-gram" in good_for) == (ev.verdict().winner not in ("model", "tie"))
    assert ("is no better than a simple n-gram" in good_for) == (ev.verdict().winner == "tie")
    assert ev.facts.training_seconds < 90 and f"in {round(ev.facts.training_seconds)} s on " in good_for, good_for
    # the job's "done after 13 s" had stood beside the card's 10 s: the whole run is the job's time, and the page gives both
    job, card = jm.get("tg-own"), at.session_state["tg.runs"][mine].card
    assert abs(job.elapsed - card["total_seconds"]) < 2.0, (job.elapsed, card["total_seconds"])
    trained_line = next(c.value for c in at.caption if c.value.startswith("Data: ") and " Trained " in c.value)
    assert f"({round(card['total_seconds'])} s in all, with preparing the corpus" in trained_line, trained_line
    from usecases.core.report import plain

    sec = at.session_state["_report_sections"]  # the report says what the page says beside its figures, in "What the page says"
    report = sec.text + " " + " ".join(t for _, t in sec.notes)
    assert "Home prices the shared model, not this one." in sec.text and "editor time" in report.lower()
    assert plain(ev.warning() or "") in report and ("No editor time is counted: " in report or "Editor time counts for usable drafts only: " in report)
    assert any(b.label == "Save to the shared store" for b in at.button)
    # Home prices the shipped model: the Business tab had called this model's −€300 "the figure and range Home shows" while
    # Home read €12.1k (a sweep, 2026-12-07)
    said = " ".join([c.value for c in at.caption] + [m.proto.help for m in at.metric])
    assert "Home prices the shared model, not this one" in said and "Home shows" not in said and "Home's card shows" not in said
    st.cache_resource.clear()


def test_the_generate_tab_says_when_a_prompt_is_longer_than_the_context(shipped_only):
    """A pasted page was continued from its last 256 tokens (~860 characters) and the page did not say so."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    for side in ("A", "B"):
        at.number_input(key=f"tg.{side}.n").set_value(3)
    at.text_area(key="tg.prompt").set_value("The with statement is used to wrap a block. " * 10)
    at.button(key="tg.go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("tokens and the model reads" in i.value for i in at.info)
    at.text_area(key="tg.prompt").set_value("The with statement is used to wrap a block. " * 80).run()
    at.button(key="tg.go").click().run()
    cut = [i.value for i in at.info if "tokens and the model reads 256 at most (its context)" in i.value]
    assert len(cut) == 1 and cut[0].startswith("The prompt is ") and "the start of it does not shape the continuation" in cut[0], cut


def test_the_generate_tab_continues_a_long_prompt_on_a_local_pretrained_model(shipped_only, tmp_path, monkeypatch):
    """A local pretrained model raised "IndexError: index out of range in self" when prompt and new tokens passed its
    positions (a traceback on the page): it now continues from the prompt's last tokens that fit, and the box says so."""
    from tests.test_textgen import _tiny_hf_model

    _tiny_hf_model(tmp_path / "hf" / "tiny-gpt2")  # 64 positions
    monkeypatch.setenv("UCLAB_HF_DIRS", str(tmp_path / "hf"))
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page(PAGE).run()
    at.selectbox(key="tg.model").set_value("Local · tiny-gpt2")
    at.number_input(key="tg.A.n").set_value(12)
    at.number_input(key="tg.B.n").set_value(8)
    at.text_area(key="tg.prompt").set_value("the quick brown fox jumps over the lazy dog. " * 3).run()
    at.button(key="tg.go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    cut = [i.value for i in at.info if "this model reads 64 at most, prompt and continuation together" in i.value]
    assert len(cut) == 1 and "with up to 12 new tokens it continues from the prompt's last 52 tokens" in cut[0], [i.value for i in at.info]


def test_an_uploaded_file_name_is_shown_as_written_never_as_markup(shipped_only):
    """A file named with Markdown (a link, bold, a formula, a colour directive) had put live links in four places of the page
    (a sweep, 2026-12-07): the name is made harmless where the upload arrives (``upload.safe_name``)."""
    from dashboard.components.upload import safe_name

    hostile = "x [lnk](http://example.invalid/a) **st** $x^2$ :red[R] `c` <b>B</b>.txt"
    assert safe_name(hostile) == "x (lnk)(http---example.invalid-a) --st-- -x^2- -red(R) 'c' (b)B(-b).txt"
    assert safe_name("sales_2024 (final).csv") == "sales_2024 (final).csv" and safe_name("a\nb.txt") == "a b.txt"
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page(PAGE).run()
    text = "".join(f"The function {i} returns a value. The class {i} holds state. " for i in range(120)).encode()
    at.file_uploader(key="tg.corpus").set_value((hostile, text, "text/plain")).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value for e in [*at.success, *at.markdown, *at.caption, *at.info] if isinstance(e.value, str)]
    assert any("(lnk)(http---example.invalid-a)" in v for v in shown), shown
    assert not any("](http" in v or "$x^2$" in v or "**st**" in v or ":red[" in v for v in shown), shown
    # What the reader decided is said on the page as on the command line (the page had shown the character counts alone).
    table = "id,body,channel\n" + "".join(f'{i},"The function {i} returns a value. The class {i} holds state.",web\n' for i in range(120))
    at.file_uploader(key="tg.corpus").set_value(("posts.csv", table.encode(), "text/csv")).run()
    said = read_corpus([("posts.csv", table.encode())]).notes
    assert said and all(any(c.value == f"Note: {n}" for c in at.caption) for n in said), (said, [c.value for c in at.caption])


def test_saving_over_another_shared_model_of_that_name_asks_first(tmp_path, monkeypatch):
    """"Save to the shared store" had replaced another session's model of the same name without a word (a German corpus's
    model over the French "fr"; a sweep, 2026-12-07). Now the page names the one there and saves only once "replace" is ticked."""
    store_dir = tmp_path / "models"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(textgen.quality, "measure", lambda *a, **k: {})
        textgen.save(textgen.train(textgen.Config.quick(), data=_code_corpus()), ModelStore(store_dir))
        other = textgen.train(textgen.Config.quick(), data=_code_corpus())
        textgen.save(other, ModelStore(store_dir), key="textgen/custom/notes")
        mine = textgen.train(textgen.Config.quick(), data=_code_corpus())
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(store_dir))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page(PAGE)
    at.session_state["tg.runs"] = {"Your model · notes (this session)": mine}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # the run's line names its data after the verdict as a sentence ("… on this data. your corpus (…)." had read as a fragment)
    assert any(m.value.endswith(f"Data: {mine.card['data']['source']}.") and m.value.startswith("**Your model · notes (this session)** — ")
               for m in at.markdown), [m.value for m in at.markdown if "this session" in m.value]
    warn = next(w.value for w in at.warning if "A shared model named “notes” exists" in w.value)
    assert "saving this one replaces it for every session" in warn
    save = next(b for b in at.button if b.label == "Save to the shared store")
    assert save.disabled and ModelStore(store_dir).read_card("textgen/custom/notes")["run_id"] == other.run_id
    at.checkbox(key="tg.replace.notes").check().run()
    next(b for b in at.button if b.label == "Save to the shared store").click().run()
    assert any("it replaced the one of that name" in s.value for s in at.success), [s.value for s in at.success]
    assert ModelStore(store_dir).read_card("textgen/custom/notes")["run_id"] == mine.run_id
    at.run()  # saved: the model there is this one, nothing to ask
    assert not any("A shared model named" in w.value for w in at.warning)
    st.cache_resource.clear()


def test_models_saved_in_the_shared_store_can_be_put_in_view(tmp_path, monkeypatch):
    """A model trained with `python -m usecases train NAME --data FILE --model-name N` (or saved from a page) lands in the shared
    store's custom/ folder, where no page's "Model in view" listed it: it could be scored with the command line only (a review,
    2026-12-07). Now every page but recommendation's (whose models need their training file) offers it as "Saved · N", and one
    that cannot be loaded is named with the reason while the shared model stays in view."""
    from dashboard.components import training

    store_dir = tmp_path / "models"
    prose = read_corpus([("river.txt", "".join(f"The river {i} runs past the old mill.\n" for i in range(400)).encode())])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(textgen.quality, "measure", lambda *a, **k: {})
        textgen.save(textgen.train(textgen.Config.quick(), data=_code_corpus()), ModelStore(store_dir))
    river = textgen.train(dataclasses.replace(textgen.Config.quick(), quality_prompts=2), data=prose)  # with its own prompts
    textgen.save(river, ModelStore(store_dir), key="textgen/custom/river")
    broken = store_dir / "textgen" / "custom" / "broken"
    shutil.copytree(store_dir / "textgen" / "custom" / "river", broken)
    (broken / "model.safetensors").write_bytes(b"not weights")
    for odd in ("a/river", "with space"):  # nested (it read "Saved · river" twice) or a name `--model` cannot reach: not listed
        shutil.copytree(store_dir / "textgen" / "custom" / "river", store_dir / "textgen" / "custom" / odd)
    at = _open_on(store_dir, monkeypatch)
    view = at.selectbox(key="tg.view")
    assert view.options == ["Documentation GPT (shipped)", f"{training.SAVED}broken", f"{training.SAVED}river"], view.options
    view.set_value(f"{training.SAVED}river").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "river.txt" in at.caption[0].value and not at.error, at.caption[0].value  # its corpus, its figures
    assert at.selectbox(key="tg.model").value == f"{training.SAVED}river"  # Generate follows the model in view
    # and so does the prompt: the documentation's "The with statement is used to" was refused for letters it never saw
    assert at.text_area(key="tg.prompt").value == river.card["quality"]["prompts"][0]
    at.selectbox(key="tg.view").set_value(f"{training.SAVED}broken").run()
    assert not at.exception, [e.value for e in at.exception]
    said = [e.value for e in at.error]
    assert any(s.startswith("The saved model “broken” cannot be used: ") and s.endswith("The shared model is in view.") for s in said), said
    assert "river.txt" not in at.caption[0].value and textgen.SPEC.data_source in at.caption[0].value
    assert at.text_area(key="tg.prompt").value == "The with statement is used to"  # the shared model's prompt again
    st.cache_resource.clear()
