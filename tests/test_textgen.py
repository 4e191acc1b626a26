"""Text generation: model shapes and causality, KV cache = recompute, sampling controls, tokenizer,
training, local transformers models, business formulas, bad input, shipped checkpoint."""

from __future__ import annotations

import json
import math

import pytest
import torch

from usecases import textgen
from usecases.core.tables import DataProblem
from usecases.textgen import business as tb
from usecases.textgen import local_hf
from usecases.textgen.corpus import pydoc_corpus, read_corpus
from usecases.textgen.generate import Sampling, complete, pick, stream_gpt
from usecases.textgen.gpt import GPT, Decoder, GPTConfig
from usecases.textgen.ngram import WittenBellNGram
from usecases.textgen.tokenizer import CharTokenizer

TINY = GPTConfig(vocab_size=40, block_size=32, n_layer=2, n_head=2, n_embd=32)


def _model(cfg=TINY, seed=0):
    torch.manual_seed(seed)
    return GPT(cfg).eval()


def test_shapes_loss_and_weight_tying():
    m = _model()
    x = torch.randint(0, 40, (3, 16))
    logits, loss, cache = m(x, x)
    assert logits.shape == (3, 16, 40) and loss.ndim == 0 and len(cache) == 2
    assert cache[0][0].shape == (3, 2, 16, 16)
    assert m.head.weight is m.tok.weight
    with pytest.raises(ValueError, match="exceeds the block size"):
        m(torch.randint(0, 40, (1, 33)))


@pytest.mark.parametrize("sdpa", [True, False])
def test_causal_masking_a_token_never_sees_the_future(sdpa):
    m = _model(GPTConfig(**{**TINY.__dict__, "use_sdpa": sdpa}))
    x = torch.randint(0, 40, (1, 20))
    y = x.clone()
    y[0, 12:] = (y[0, 12:] + 7) % 40  # change only the future
    with torch.no_grad():
        a, _, _ = m(x)
        b, _, _ = m(y)
    assert torch.allclose(a[0, :12], b[0, :12], atol=1e-5)
    assert not torch.allclose(a[0, 12:], b[0, 12:], atol=1e-5)


def test_sdpa_and_explicit_attention_agree():
    m1 = _model()
    m2 = GPT(GPTConfig(**{**TINY.__dict__, "use_sdpa": False})).eval()
    m2.load_state_dict(m1.state_dict())
    x = torch.randint(0, 40, (2, 30))
    with torch.no_grad():
        assert torch.allclose(m1(x)[0], m2(x)[0], atol=1e-5)


def test_kv_cache_generation_equals_full_recompute():
    m = _model()
    tok = CharTokenizer([chr(65 + i) for i in range(40)])
    s = Sampling(max_new_tokens=25, temperature=0.0, top_k=None, top_p=None)
    a, _ = complete(stream_gpt(m, tok.encode, tok.decode, "ABCDE", s, use_cache=True))
    b, _ = complete(stream_gpt(m, tok.encode, tok.decode, "ABCDE", s, use_cache=False))
    assert a == b and len(a) == 25
    # Incremental logits equal full-context logits position by position.
    x = torch.randint(0, 40, (1, 10))
    with torch.no_grad():
        full, _, _ = m(x)
        _, _, cache = m(x[:, :6])
        step, _, cache = m(x[:, 6:7], cache=cache)
    assert torch.allclose(full[0, 6], step[0, 0], atol=1e-5)


def test_decoder_steps_match_the_full_forward_pass():
    m = _model()
    x = torch.randint(0, 40, (1, 32))
    with torch.no_grad():
        full, _, _ = m(x)
        dec = Decoder(m)
        got = [dec.prefill(x[0, :5].tolist())]
        got += [dec.step(int(t)) for t in x[0, 5:]]
    assert dec.full and dec.length == 32
    assert torch.allclose(torch.stack(got[:-1]), full[0, 4:31], atol=1e-5)  # step i predicts position 5 + i
    assert torch.allclose(got[-1], full[0, 31], atol=1e-5)
    with pytest.raises(ValueError, match="cache is full"):
        dec.step(0)
    with torch.no_grad():  # a refill after the cache filled restarts from the given context
        assert torch.allclose(dec.prefill(x[0, 16:].tolist()), m(x[:, 16:])[0][0, -1], atol=1e-5)
    with pytest.raises(ValueError, match="eval mode"):
        Decoder(m.train())


def test_sampling_controls():
    logits = torch.tensor([0.1, 3.0, 2.9, -1.0])
    gen = torch.Generator().manual_seed(0)
    assert all(pick(logits, Sampling(temperature=1.5, top_k=1, top_p=None), gen) == 1 for _ in range(20))  # top-k = 1 is greedy
    assert pick(logits, Sampling(temperature=0.0), gen) == 1
    assert all(pick(logits, Sampling(temperature=1.0, top_k=None, top_p=0.01), gen) == 1 for _ in range(20))  # tiny top-p keeps the best
    draws = {pick(logits, Sampling(temperature=1.0, top_k=2, top_p=None), gen) for _ in range(200)}
    assert draws == {1, 2}  # top-k = 2 never leaves the two best
    m = _model()
    tok = CharTokenizer([chr(65 + i) for i in range(40)])
    text, stats = complete(stream_gpt(m, tok.encode, tok.decode, "AB", Sampling(max_new_tokens=7, temperature=0.9), use_cache=True))
    assert stats["tokens"] == 7 and stats["first_token_seconds"] > 0
    full, _ = complete(stream_gpt(m, tok.encode, tok.decode, "AB", Sampling(max_new_tokens=30, temperature=0.0)))
    stop = full[5:7]
    cut, _ = complete(stream_gpt(m, tok.encode, tok.decode, "AB", Sampling(max_new_tokens=30, temperature=0.0, stop=(stop,))))
    assert cut == full[: full.find(stop)] and stop not in cut


@pytest.mark.parametrize("bad, needle", [(dict(max_new_tokens=0), "max new tokens"), (dict(max_new_tokens=10**6), "max new tokens"),
                                         (dict(temperature=-1), "temperature"), (dict(temperature=50), "temperature"),
                                         (dict(top_p=0.0), "top-p"), (dict(top_k=0), "top-k"), (dict(stop=("",)), "stop sequences")])
def test_absurd_decoding_settings(bad, needle):
    with pytest.raises(DataProblem, match=needle):
        Sampling(**bad).check()


def test_tokenizer_round_trip_and_unknown_characters():
    tok = CharTokenizer.from_text("hello world\n")
    assert tok.decode(tok.encode("hello\nworld")) == "hello\nworld"
    assert CharTokenizer.from_tensor(tok.to_tensor()).chars == tok.chars
    with pytest.raises(DataProblem, match="never saw in training: 'é', 'ü'"):
        tok.encode("héllü")


def test_empty_prompt_is_refused():
    m = _model()
    tok = CharTokenizer([chr(65 + i) for i in range(40)])
    with pytest.raises(DataProblem, match="The prompt cannot be used: it is empty"):
        complete(stream_gpt(m, tok.encode, tok.decode, "", Sampling()))


def test_training_lowers_validation_loss_and_beats_uniform():
    corpus = read_corpus([("a.txt", (("def f(x):\n    return x + 1\n\n" * 200) + ("class A:\n    pass\n\n" * 200)).encode())])
    cfg = textgen.Config.quick()
    t = textgen.train(cfg, data=corpus)
    hist = [r for r in t.card["history"] if "val_loss" in r]
    assert hist[-1]["val_loss"] < hist[0]["val_loss"]
    assert t.card["metrics"]["val_loss"] < math.log(t.model.gpt.cfg.vocab_size)
    assert t.card["metrics"]["val_bpc"] == pytest.approx(t.card["metrics"]["val_loss"] / math.log(2))


def test_ngram_baseline_is_a_proper_distribution():
    text = "abracadabra " * 50
    vocab = sorted(set(text))
    ng = WittenBellNGram(3).fit(text, vocab)
    for h in ("ab", "zz", ""):
        assert sum(ng.prob(h, c) for c in vocab) == pytest.approx(1.0)
    assert ng.bits_per_char(text) < math.log2(len(vocab))


@pytest.mark.parametrize("files, needle", [([("a.txt", b"")], "it is empty"), ([("a.txt", b"\x00\x01\x02" * 10)], "binary file"),
                                           ([("a.txt", b"x" * (21 * 1024 * 1024))], "over the 20 MB limit"),
                                           ([("a.txt", b"too short")], "at least 2,000 are needed"),
                                           ([("a.csv", b"id,body\n1,hello\n")], "at least 2,000"),
                                           ([], "no file was given")])
def test_bad_corpus_uploads(files, needle):
    with pytest.raises(DataProblem, match=needle):
        read_corpus(files)


def test_csv_text_column():
    rows = "\n".join(f'{i},"Paragraph number {i} explains the option in detail."' for i in range(100))
    c = read_corpus([("notes.csv", ("id,body\n" + rows).encode())])
    assert "Paragraph number 5" in c.text and "id" not in c.text[:5]
    with pytest.raises(DataProblem, match="no column 'text'"):
        read_corpus([("notes.csv", ("id,body\n" + rows).encode())], text_column="text")


def _tiny_hf_model(folder):
    """A tiny GPT-2 with a character-level tokenizer, built and saved by the test itself (no download)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    chars = sorted(set("abcdefghijklmnopqrstuvwxyz .,\n"))
    vocab = {"<eos>": 0, **{c: i + 1 for i, c in enumerate(chars)}}
    tk = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<eos>"))
    tk.pre_tokenizer = pre_tokenizers.Split(pattern="", behavior="isolated")
    fast = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<eos>", unk_token="<eos>")
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(vocab), n_positions=64, n_embd=32, n_layer=2, n_head=2, eos_token_id=0, bos_token_id=0))
    model.save_pretrained(folder, safe_serialization=True)
    fast.save_pretrained(folder)
    return folder


def test_local_transformers_model_discovered_and_generates(tmp_path, monkeypatch):
    folder = _tiny_hf_model(tmp_path / "tiny-gpt2")
    monkeypatch.setenv(local_hf.ENV_VAR, str(tmp_path))
    found = local_hf.discover()
    assert any(m.name == "tiny-gpt2" and m.architecture == "GPT2LMHeadModel" for m in found)
    loaded = local_hf.LoadedHF(str(folder), torch.device("cpu"))
    text, stats = complete(loaded.stream("hello world", Sampling(max_new_tokens=12, temperature=0.0)))
    assert stats["tokens"] <= 12 and isinstance(text, str)
    again, _ = complete(loaded.stream("hello world", Sampling(max_new_tokens=12, temperature=0.0)))
    assert again == text  # greedy is deterministic
    with pytest.raises(DataProblem, match="it is empty"):
        complete(loaded.stream("", Sampling()))


def test_local_model_folder_problems(tmp_path):
    with pytest.raises(DataProblem, match="has no config.json"):
        local_hf.LoadedHF(str(tmp_path), torch.device("cpu"))
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["BertModel"], "model_type": "bert"}))
    with pytest.raises(DataProblem, match="has no model.safetensors"):
        local_hf.LoadedHF(str(tmp_path), torch.device("cpu"))
    (tmp_path / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(DataProblem, match="pickled weights"):
        local_hf.LoadedHF(str(tmp_path), torch.device("cpu"))
    (tmp_path / "pytorch_model.bin").unlink()
    (tmp_path / "model.safetensors").write_bytes(b"junk")
    with pytest.raises(DataProblem, match="not a loadable causal language model"):
        local_hf.LoadedHF(str(tmp_path), torch.device("cpu"))
    assert not any(m.path == str(tmp_path) for m in local_hf.discover())  # not a causal LM → not offered


def test_business_by_hand():
    assert tb.cost_per_1k(3.6, 1000) == pytest.approx(0.001)  # €3.6/h at 1000 tokens/s → €0.001 per 1k
    assert tb.drafts_per_hour(100, 600) == pytest.approx(600)
    a = tb.TextAssumptions(drafts_per_month=1000, minutes_saved=6, editor_cost=50, tokens_per_draft=500, fixed_monthly=100, api_price=0.01)
    assert tb.monthly_value(a) == pytest.approx(5000)
    sh, api = tb.monthly_costs(a, 0.001)
    assert sh == pytest.approx(100 + 500 * 0.001) and api == pytest.approx(5.0)
    assert tb.break_even_tokens(a, 0.001) == pytest.approx(100 / 0.009 * 1000)
    assert tb.break_even_tokens(a, 0.02) is None
    c = tb.case(tb.TextAssumptions(), 1000)
    assert c.value[0] < c.value[1] < c.value[2]


def test_shipped_checkpoint_reproduces_its_card():
    from usecases.core.store import REPO_ROOT, ModelStore

    store = ModelStore(REPO_ROOT / "models")
    if not store.exists("textgen"):
        pytest.skip("no shipped textgen checkpoint")
    t = textgen.load(store)
    if pydoc_corpus().fingerprint != t.card["data"]["fingerprint"]:
        pytest.skip("this Python's bundled documentation differs from the training corpus")
    report = textgen.evaluate(t)
    assert report.model["val_loss"] == pytest.approx(t.card["metrics"]["val_loss"], abs=1e-5)
    assert report.model["val_bpc"] < report.baselines["char_5gram_witten_bell"]["val_bpc"]
    assert (store.dir("textgen") / "model.safetensors").stat().st_size <= 20 * 1024 * 1024
    text, stats = complete(t.stream("The with statement", Sampling(max_new_tokens=50, temperature=0.0)))
    assert stats["tokens"] == 50
