"""Model store: round trip, versions and rollback, corruption, incompatibility, atomic writes, read-only."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from usecases.core.store import ModelMissing, ModelStore, ModelUnusable, StoreReadOnly, load_state


class Tiny(torch.nn.Module):
    def __init__(self, n=4):
        super().__init__()
        self.lin = torch.nn.Linear(n, 2)


def _save(store, module, version_note="x", key="demo"):
    return store.save(key, module.state_dict(), {"metrics": {"acc": 0.5}, "note": version_note}, format_version=1)


def test_round_trip_and_card_fields(tmp_store):
    m = Tiny()
    card = _save(tmp_store, m)
    for k in ("usecase", "version", "created_at", "sha256", "libraries", "parameter_count", "weights_bytes", "metrics"):
        assert k in card
    assert card["parameter_count"] == sum(p.numel() for p in m.parameters())
    tensors, card2 = tmp_store.load("demo", format_version=1)
    m2 = Tiny()
    load_state(m2, tensors, "demo")
    for a, b in zip(m.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)
    assert card2 == json.loads((tmp_store.dir("demo") / "card.json").read_text())
    assert tmp_store.status("demo").state == "ready"


def test_versions_previous_and_rollback(tmp_store):
    m1, m2 = Tiny(), Tiny()
    assert _save(tmp_store, m1, "one")["version"] == 1
    assert _save(tmp_store, m2, "two")["version"] == 2
    assert (tmp_store.dir("demo") / "previous" / "model.safetensors").exists()
    restored = tmp_store.rollback("demo")
    assert restored["note"] == "one"
    tensors, card = tmp_store.load("demo", format_version=1)
    assert card["note"] == "one"
    assert torch.equal(tensors["lin.weight"], m1.lin.weight.detach())


def test_amending_a_card_keeps_the_weights_and_records_why(tmp_store):
    """A section re-measured later (e.g. text quality on more prompts) replaces that section only: the weights still load,
    the version and hash stay, the amendment is recorded, fields that identify the weights are refused, and a card whose
    weights no longer match is not amended."""
    m = Tiny()
    before = _save(tmp_store, m, "one")
    card = tmp_store.amend_card("demo", {"note": "re-measured"}, "more prompts")
    assert card["note"] == "re-measured" and card["version"] == before["version"] and card["sha256"] == before["sha256"]
    assert [a["sections"] for a in card["amendments"]] == [["note"]] and card["amendments"][0]["note"] == "more prompts"
    tensors, loaded = tmp_store.load("demo", format_version=1)
    assert loaded == card and torch.equal(tensors["lin.weight"], m.lin.weight.detach())
    assert not (tmp_store.dir("demo") / "previous").exists()  # same weights: nothing to roll back to
    assert len(tmp_store.amend_card("demo", {"metrics": {"acc": 0.6}}, "again")["amendments"]) == 2
    with pytest.raises(ValueError, match="sha256 identify the stored weights"):
        tmp_store.amend_card("demo", {"sha256": "0" * 64}, "forge")
    with pytest.raises(ValueError, match="say why"):
        tmp_store.amend_card("demo", {"note": "x"}, " ")
    w = tmp_store.dir("demo") / "model.safetensors"
    blob = bytearray(w.read_bytes())
    blob[-1] ^= 1
    w.write_bytes(bytes(blob))
    with pytest.raises(ModelUnusable, match="does not match the sha256"):
        tmp_store.amend_card("demo", {"note": "x"}, "on damaged weights")
    assert json.loads((tmp_store.dir("demo") / "card.json").read_text())["note"] == "re-measured"


def test_missing_model_is_not_trained_yet(tmp_store):
    with pytest.raises(ModelMissing, match="not trained yet"):
        tmp_store.load("demo", format_version=1)
    assert tmp_store.status("demo").state == "missing"
    # a model of one's own asked of the wrong use case says whose it is (it said only "not trained yet": a sweep, 2026-12-04)
    _save(tmp_store, Tiny(), key="textgen/custom/tg-base")
    with pytest.raises(ModelMissing, match=r"fraud/custom/tg-base model is not trained yet; 'tg-base' is a textgen model — score it "
                                           r"with that use case, or train it on your file"):
        tmp_store.load("fraud/custom/tg-base", format_version=1)
    with pytest.raises(ModelMissing, match=r"not trained yet; train it on your file"):
        tmp_store.load("fraud/custom/nobody", format_version=1)


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "delete_weights", "bad_json", "delete_card"])
def test_corruption_gives_one_clear_message(tmp_store, damage):
    _save(tmp_store, Tiny())
    d = tmp_store.dir("demo")
    w, c = d / "model.safetensors", d / "card.json"
    blob = bytearray(w.read_bytes())
    if damage == "flip":
        blob[len(blob) // 2] ^= 0xFF
        w.write_bytes(bytes(blob))
    elif damage == "truncate":
        w.write_bytes(bytes(blob[: len(blob) // 2]))
    elif damage == "empty":
        w.write_bytes(b"")
    elif damage == "delete_weights":
        w.unlink()
    elif damage == "bad_json":
        c.write_text("{not json")
    elif damage == "delete_card":
        c.unlink()
    with pytest.raises(ModelUnusable) as err:
        tmp_store.load("demo", format_version=1)
    msg = str(err.value)
    assert msg.startswith("demo model is unusable: ")
    assert msg.endswith("retrain with `make train` or the Retrain button")
    assert "\n" not in msg
    assert tmp_store.status("demo").state in ("unusable", "ready")  # status reads the card only


def test_a_damaged_model_of_ones_own_is_not_sent_to_make_train(tmp_store):
    """`make train` retrains the shipped model and leaves a damaged named one as it was: the message for a model trained
    on one's own file says how to train that one again (and no longer reads "starting at at line 1")."""
    _save(tmp_store, Tiny(), key="demo/custom/mine")
    tmp_store.dir("demo/custom/mine").joinpath("card.json").write_text('{"usecase": "demo", "x": "unterminated')
    with pytest.raises(ModelUnusable) as err:
        tmp_store.load("demo/custom/mine", format_version=1)
    msg = str(err.value)
    assert msg.endswith("train it again on its file with `python -m usecases train demo --data FILE --model-name mine` (on the page: "
                        "the use case's own-data tab)"), msg
    assert "make train" not in msg and "at at" not in msg and "line 1)" in msg


def test_a_model_folder_of_another_use_case_is_named_as_such(tmp_store):
    """A fraud model's folder copied under textgen/custom/ was "ready" in `list` and then "card.json does not describe the
    model ('config')"; a card edited to another use case was used without a word. Both now say whose model it is."""
    _save(tmp_store, Tiny(), key="fraud")
    import shutil

    shutil.copytree(tmp_store.dir("fraud"), tmp_store.dir("textgen/custom/copied"))
    status = tmp_store.status("textgen/custom/copied")
    assert status.state == "unusable" and "card.json says this is a fraud model, not a textgen one" in status.message, status
    with pytest.raises(ModelUnusable, match="move its folder to models/fraud/custom/copied"):
        tmp_store.load("textgen/custom/copied", format_version=1)
    _save(tmp_store, Tiny(), key="textgen/custom/mine")
    assert tmp_store.status("textgen/custom/mine").state == "ready"


def test_lost_test_scores_of_an_own_file_model_are_named_not_only_the_file():
    """A model trained on one's own file evaluates from its stored test scores; with that file gone or damaged, `evaluate`
    had said only "trained on your own file, which the app does not keep" — the user's file blamed for the store's damage."""
    import dataclasses

    from usecases import triage
    from usecases.core.store import ModelStore, file_not_kept
    from usecases.core.tables import DataProblem

    assert file_not_kept({}, "a file", "pass it again") == "this model was trained on a file, which the app does not keep; pass it again"
    shipped = triage.load(ModelStore(Path(__file__).resolve().parents[1] / "models"))
    assert isinstance(shipped.card.get("artefacts"), dict)
    own = dataclasses.replace(shipped, card={**shipped.card, "data": {**shipped.card["data"], "synthetic": False}}, artefacts=None)
    with pytest.raises(DataProblem, match=r"its stored test scores \(evaluation\.safetensors\) are missing or damaged, and this model "
                                          r"was trained on your own file, which the app does not keep; pass the file again"):
        triage.evaluate(own)


def test_hash_matching_but_not_safetensors(tmp_store):
    """A file whose hash matches the card but is not safetensors (e.g. a pickle) is refused, never unpickled."""
    _save(tmp_store, Tiny())
    d = tmp_store.dir("demo")
    import hashlib
    import pickle

    evil = pickle.dumps({"lin.weight": [1, 2]})
    (d / "model.safetensors").write_bytes(evil)
    card = json.loads((d / "card.json").read_text())
    card["sha256"] = hashlib.sha256(evil).hexdigest()
    (d / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelUnusable, match="not a valid safetensors file"):
        tmp_store.load("demo", format_version=1)


def test_wrong_shapes_and_names(tmp_store):
    _save(tmp_store, Tiny(n=4))
    tensors, _ = tmp_store.load("demo", format_version=1)
    with pytest.raises(ModelUnusable, match="wrong shapes"):
        load_state(Tiny(n=5), tensors, "demo")
    tensors.pop("lin.bias")
    with pytest.raises(ModelUnusable, match="missing tensors lin.bias"):
        load_state(Tiny(n=4), tensors, "demo")


def test_incompatible_format_version(tmp_store):
    _save(tmp_store, Tiny())
    with pytest.raises(ModelUnusable, match="format 1, this code reads format 2"):
        tmp_store.load("demo", format_version=2)


def test_atomic_write_keeps_old_files_when_a_write_fails(tmp_store, monkeypatch):
    _save(tmp_store, Tiny(), "one")
    before = {p.name: p.read_bytes() for p in tmp_store.dir("demo").iterdir() if p.is_file()}
    import usecases.core.store as store_mod

    calls = {"n": 0}
    real = store_mod._fsync_write

    def failing(path, data):
        calls["n"] += 1
        if path.name.startswith(".model.safetensors"):
            real(path, data[: len(data) // 3])  # half-written temp file…
            raise OSError(28, "No space left on device")  # …then the disk fills up
        real(path, data)

    monkeypatch.setattr(store_mod, "_fsync_write", failing)
    with pytest.raises(OSError):
        _save(tmp_store, Tiny(), "two")
    after = {p.name: p.read_bytes() for p in tmp_store.dir("demo").iterdir() if p.is_file()}
    assert after == before, "current files must be untouched"
    assert not [p for p in tmp_store.dir("demo").iterdir() if p.name.endswith(".tmp")], "no temp files left behind"
    monkeypatch.setattr(store_mod, "_fsync_write", real)
    assert tmp_store.load("demo", format_version=1)[1]["note"] == "one"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write to read-only directories")
def test_read_only_store(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    os.chmod(d, 0o555)
    try:
        with pytest.raises(StoreReadOnly):
            _save(ModelStore(d), Tiny())
    finally:
        os.chmod(d, 0o755)


def test_read_only_store_detected_even_as_root(tmp_path, monkeypatch):
    d = tmp_path / "ro"
    d.mkdir()
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK else True)
    with pytest.raises(StoreReadOnly, match="not writable"):
        _save(ModelStore(d), Tiny())


def test_env_var_moves_the_store(tmp_path, monkeypatch):
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(tmp_path / "elsewhere"))
    s = ModelStore()
    _save(s, Tiny())
    assert (tmp_path / "elsewhere" / "demo" / "model.safetensors").exists()


def test_keys_and_invalid_keys(tmp_store):
    _save(tmp_store, Tiny(), key="demo")
    _save(tmp_store, Tiny(), key="demo/custom/mine")
    assert tmp_store.keys("demo") == ["demo", "demo/custom/mine"]
    with pytest.raises(ValueError):
        tmp_store.dir("../outside")


def test_one_rule_names_a_model_on_the_page_and_on_the_command_line():
    """The text page had no length cap, so a 61-character name saved there could not be named with --model (60), and a
    300-character one failed as "store not writable" (a review, 2026-12-07)."""
    from usecases.__main__ import _safe_name
    from usecases.core.store import safe_model_name

    long = "notes-" + "x" * 300
    assert safe_model_name(long) == _safe_name(long) == long[:60] and len(safe_model_name(long)) == 60
    assert safe_model_name("../../etc/passwd") == "etc-passwd" and safe_model_name("a" * 59 + "-b") == "a" * 59
    assert safe_model_name(" ✓ ") == ""
    page = (Path(__file__).resolve().parents[1] / "dashboard" / "views" / "text_generation.py").read_text()
    assert "safe_model_name(" in page  # the page names its models by the same rule
