"""Command line: ``python -m usecases list|train|evaluate|score|bench``.

Every failure a user can cause (unknown use case, bad file, unusable model, missing device) ends
with exit status 2 and one line on stderr saying why — never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

import usecases
from usecases.core import engine, fmt  # engine imports Ray only when --engine ray is used

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not a usage block
        self.exit(EXIT_USAGE, f"error: {message} (see `{self.prog} --help`)\n")


class CliError(Exception):
    pass


def _read_file(path: str) -> bytes:
    p = Path(path)
    if not p.exists():
        raise CliError(f"{path}: no such file")
    if p.is_dir():
        raise CliError(f"{path}: is a directory, not a file")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise CliError(f"{path}: cannot be read ({exc.strerror})") from None


def _names(name: str) -> list[str]:
    if name == "all":
        return list(usecases.NAMES)
    usecases.get(name)  # raises UnknownUseCase with the list of choices
    return [name]


def _store(reading: bool = True):
    """The model store. A ``UCLAB_MODEL_DIR`` naming no folder is an empty store (nothing trained there yet; ``train``
    creates it), and commands that read models say so in a note: a mistyped path had read "textgen model is not trained
    yet; train it with `make train`" alone, and `list` showed every model missing (a sweep, 2026-12-06)."""
    from usecases.core.store import ENV_VAR, ModelStore

    where = os.environ.get(ENV_VAR)
    if reading and where and not Path(where).is_dir():
        print(f"note: {ENV_VAR} is {where}, which is not a folder yet, so no model is found there — check the path if your models "
              "should be there", file=sys.stderr)
    return ModelStore()


def cmd_list(args) -> int:
    store = _store()
    rows = []

    def row(name, mod, key, title, model=None):
        st = store.status(key, format_version=mod.SPEC.format_version)
        metric, state, reason = "", st.state + (f" v{st.version}" if st.version else ""), ""
        if st.state == "ready":
            m = st.card.get("metrics", {}).get(mod.SPEC.primary_metric)
            metric = f"{mod.SPEC.primary_label} {m:.3f}" if isinstance(m, (int, float)) else ""
            if st.message.startswith("not verified"):
                state += " (weights not verified)"
        elif st.state == "unusable":  # say why, as evaluate and score would (the row had said "unusable" and nothing more)
            reason = metric = st.message
        if model is not None and _safe_name_or_none(model) != model:
            # a folder made by hand whose name --model would turn into another (`with space` → `with-space`, `v1.` → `v1`)
            safe = _safe_name_or_none(model)
            other = ("" if safe is None else f" (--model '{model}' reads '{safe}'"
                     + (", another folder)" if safe in folders else ", which is not a folder)"))
            reason = metric = ("--model cannot name this folder: rename it with letters, digits, '-', '_' and '.' only, neither "
                               "starting nor ending with '-' or '.', at most 60 characters" + other
                               + (f"; it is also unusable: {reason}" if reason else ""))
            state = "unreachable"
        rows.append((name if model is None else f"  --model {model}", title, state, metric, name, model, reason))

    for name in usecases.NAMES:
        mod = usecases.get(name)
        row(name, mod, name, mod.SPEC.title)
        prefix = _custom_key(name, "x")[:-1]  # the models trained with --data --model-name (list had never shown them)
        folders = [key[len(prefix):] for key in store.keys(prefix)]
        for model in folders:
            row(name, mod, prefix + model, "your model, trained on your file", model=model)
    if args.json:
        print(json.dumps([{"usecase": r[4], "title": r[1], "status": r[2], "headline": "" if r[6] else r[3],
                           **({"model": r[5]} if r[5] else {}), **({"reason": r[6]} if r[6] else {})} for r in rows]))
        return 0
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(r[i].ljust(w[i]) for i in range(4)).rstrip())
    return 0


def _config(mod, args):
    overrides = {}
    if getattr(args, "device", None):
        overrides["device"] = args.device
    if getattr(args, "budget_seconds", None) is not None:
        from usecases.core.runner import check_budget

        try:
            check_budget(args.budget_seconds, "--budget-seconds")
        except ValueError as exc:
            raise CliError(str(exc)) from None
        overrides["budget_seconds"] = args.budget_seconds
    base = mod.Config.quick() if getattr(args, "quick", False) else mod.Config()
    import dataclasses

    return dataclasses.replace(base, **overrides)


def cmd_train(args) -> int:
    from usecases.core.runner import tqdm_progress
    from usecases.core.spec import best_of

    store = _store(reading=False)  # training creates the store
    names = _names(args.name)
    if args.data and len(names) > 1:
        raise CliError("--data needs one use case, not 'all'")
    for name in names:
        mod = usecases.get(name)
        config = _config(mod, args)
        data = None
        key = name
        if args.data:
            data = _read_user_data(mod, args)
            for line in getattr(mod, "train_caution", lambda d: [])(data):  # what the page cautions before training (triage)
                print(f"warning: {line}", file=sys.stderr)
            key = _custom_key(name, args.model_name or Path(args.data).stem)
        progress, close = tqdm_progress(f"train {name}")
        try:
            if args.engine == "ray":  # on a Ray cluster: DDP (textgen) or one task; saved through the store there
                card = engine.run_train(args, mod, config, data=data, store=store, key=key, progress=progress)
            else:
                card = mod.save(mod.train(config, data=data, progress=progress), store, key=key)
        finally:
            close()
        m = card.get("metrics", {})
        line = f"{name}: saved {store.dir(key)} v{card['version']} · {mod.SPEC.primary_label} {m.get(mod.SPEC.primary_metric, float('nan')):.4f}"
        best = best_of(card.get("baselines", {}), mod.SPEC.primary_metric, mod.SPEC.higher_is_better)
        if best:
            line += f" (best baseline {best[0]}: {best[1]:.4f})"
        from usecases.core.report import training_times, whole_run_words

        own, whole = training_times(card)  # fraud, triage: the networks within the run; recommendation: its fit, the run apart
        line += (f" · {own or 0:.1f}s for the model, {whole:.1f}s in all {whole_run_words(card)}"
                 # recommendation's card counts the model's tuning and fit alone: "0.3s on CPU" had stood for a 13 s run
                 # (a sweep, 2026-12-06)
                 if whole else f" · {own or 0:.1f}s") + f" on {card.get('device', {}).get('name', '?')}"
        print(line)
        from usecases.core.runner import budget_overrun

        if overrun := budget_overrun(card):
            print(f"{name}: note: {overrun}")
        if card.get("verdict"):
            print(f"{name}: {card['verdict']}")
        elif (warning := _behind_baseline(card, mod.SPEC, best, given=getattr(args, "budget_seconds", None))):
            print(f"{name}: warning: {warning}")
    return 0


def _behind_baseline(card: dict, spec, best: tuple[str, float] | None, given: float | None = None) -> str:
    """A card without a verdict of its own (text) whose model is behind its best baseline: one sentence, with what the
    time budget allowed when one was set. `train textgen --budget-seconds 0.001` saved a model of one iteration, 5.96 bits
    per byte against the n-gram's 1.86, and said nothing but the two numbers."""
    m = card.get("metrics", {}).get(spec.primary_metric)
    if best is None or not isinstance(m, (int, float)) or (m > best[1] if spec.higher_is_better else m < best[1]):
        return ""
    text = (f"the model is {'no better than' if m == best[1] else 'behind'} its best baseline, {best[0]}, on held-out data "
            f"({spec.primary_label.lower()} {m:.4f} vs {best[1]:.4f}; `evaluate` gives the verdict with its spread)")
    budget = (card.get("training") or {}).get("budget_seconds")
    history = card.get("history") or []
    iters = history[-1].get("iter") if history and isinstance(history[-1], dict) else None
    if budget and iters is not None:
        # the card holds what the training loop was given: the user's budget less the time spent sizing the model (it had
        # read "its time budget of 4.13947 s" for --budget-seconds 5; a sweep, 2026-12-06)
        said = (f"its time budget of {given:g} s ({fmt.number(budget, 1)} s of it left for training after sizing the model)"
                if given and abs(given - budget) > 0.05 else f"its time budget of {fmt.number(budget, 2)} s")
        text += (f" — {said} allowed {iters:,} training iteration{'s' if iters != 1 else ''}; "
                 "train again with a longer budget (--budget-seconds) or on more text")
    return text


def _extra_inputs(fn, args, name: str) -> dict:
    """Keyword arguments for a domain reader from the options that only some use cases take:
    ``--mapping`` (triage), ``--items`` (recommendation titles), ``--accept-guessed-mapping`` (triage), ``--text-column`` (text),
    ``--label`` (fraud)."""
    import inspect

    params = inspect.signature(fn).parameters
    kwargs = {}
    if getattr(args, "mapping", None):
        if "mapping" not in params:
            raise CliError(f"--mapping is not used by {name}; its files are read by column name")
        kwargs["mapping"] = _read_file(args.mapping)
    if getattr(args, "items", None):
        if "items" not in params:
            raise CliError(f"--items is not used by {name}")
        kwargs["items"] = _read_file(args.items)
        if "items_name" in params:
            kwargs["items_name"] = Path(args.items).name
    if getattr(args, "text_column", None):
        if "text_column" not in params:
            raise CliError(f"--text-column is not used by {name}")
        kwargs["text_column"] = args.text_column
    if getattr(args, "label", None):
        if "label" not in params:
            raise CliError(f"--label is not used by {name}")
        kwargs["label"] = args.label
    if getattr(args, "accept_guessed_mapping", False):
        if "accept_guess" not in params:
            raise CliError(f"--accept-guessed-mapping is not used by {name}")
        kwargs["accept_guess"] = True
    return kwargs


def _read_user_data(mod, args, trained=None):
    """A user's file for ``--data``; what the reader noticed (guessed mappings, dropped values) goes to stderr. A reader that
    takes ``trained`` (triage: the model's own mapping for a file given without one) is given the model to evaluate."""
    import inspect

    extra = _extra_inputs(mod.read_data, args, mod.SPEC.name)
    if trained is not None and "trained" in inspect.signature(mod.read_data).parameters:
        extra["trained"] = trained
    data = mod.read_data(_read_file(args.data), Path(args.data).name, **extra)
    for note in getattr(data, "notes", None) or []:
        print(f"note: {note}", file=sys.stderr)
    # what the page shows as a warning box (a label in disguise) must not be missing from the command line
    for warning in getattr(data, "warnings", None) or []:
        print(f"warning: {warning}", file=sys.stderr)
    return data


def _custom_key(name: str, model_name: str) -> str:
    return f"{name}/custom/{_safe_name(model_name)}"


def _safe_name_or_none(name: str) -> str | None:
    try:
        return _safe_name(name)
    except CliError:
        return None


def _safe_name(name: str) -> str:
    from usecases.core.store import safe_model_name

    s = safe_model_name(name)
    if not s:
        raise CliError("model name must contain letters or digits")
    return s


def cmd_evaluate(args) -> int:
    store = _store()
    mod = usecases.get(args.name)
    trained = mod.load(store, key=_model_key(args))
    data = _read_user_data(mod, args, trained) if args.data else None
    ev = mod.evaluate(trained, data=data)
    if args.json:
        print(json.dumps(ev.to_json(), default=float))
        return 0
    metrics = list(ev.model)
    names = ["model", *ev.baselines]
    rows = [ev.model, *ev.baselines.values()]
    d = ev.data
    # text counts bytes: it read "(1,101,186 rows … 110,086 rows scored)"; the others say what their test rows are
    # "external: external test: …" said the kind twice: a split that names its kind goes as it is
    how = d.split if d.split.lower().startswith(d.kind.lower()) else f"{d.kind}: {d.split}"
    print(f"{mod.SPEC.title} — {d.source} ({d.rows:,} {'bytes' if d.unit == 'bytes' else 'rows'}; {how}"
          + (f"; {d.test_rows:,} {d.unit} scored" if d.test_rows else "") + ")")
    # each column as wide as its name (it cut "logistic_regression" to "logistic_regressio")
    widths = [max(18, len(n)) + 1 for n in names]
    print("metric".ljust(26) + "".join(n.rjust(w) for n, w in zip(names, widths)))
    for m in metrics:
        print(m.ljust(26) + "".join((f"{r[m]:.4f}" if isinstance(r.get(m), (int, float)) else "—").rjust(w) for r, w in zip(rows, widths)))
    spreads = [ev.spread(n) for n in names]
    if any(spreads):
        print(f"{ev.primary_metric} min–max".ljust(26) + "".join((f"{sp[0]:.3f}–{sp[1]:.3f}" if sp else "—").rjust(w)
                                                                 for sp, w in zip(spreads, widths)))
    print(ev.verdict().sentence)
    if caveat := ev.caveat():  # what the verdict alone would hide (triage: level 1 against the nurse)
        print(f"but: {caveat}")
    said = set(getattr(data, "notes", None) or [])  # the file's reading notes went to stderr already: not twice
    for note in ev.notes:  # what the page shows under its table (which learner serves, peers that could not be fit …)
        if note not in said and note[:60].lower() not in d.split.lower():  # nor a note the header's split just said
            print(f"note: {note}")
    return 0


def _model_key(args) -> str:
    return args.name if not getattr(args, "model", None) else _custom_key(args.name, args.model)


def cmd_score(args) -> int:
    store = _store()
    mod = usecases.get(args.name)
    if args.engine == "ray":  # streaming, partitioned output on a Ray cluster
        data = None
        if getattr(args, "data", None):  # it had been dropped without a word, and the stage then asked for the very file given
            if args.name != "recommendation":
                raise CliError(f"--data is not used by {args.name} when scoring; it reads everything it needs from the input file")
            data = _read_user_data(mod, args)  # a model trained on a user's file scores from that file's histories (since 2026-12-06)
        # --model was dropped too: the shipped model scored the file in the named one's place (a sweep, 2026-12-05)
        return engine.run_score(args, store=store, key=_model_key(args), data=data)
    raw = _read_file(args.input)
    out = _output_path(args.output, args.input)
    if getattr(args, "data", None) and "data" not in getattr(getattr(mod, "Trained", None), "__dataclass_fields__", {}):
        raise CliError(f"--data is not used by {args.name} when scoring; it reads everything it needs from the input file")
    trained = mod.load(store, key=_model_key(args))
    if getattr(args, "data", None):  # recommendation: a model trained on a user's file needs that file's histories to score
        trained = dataclasses.replace(trained, data=_read_user_data(mod, args))
    from usecases.core.tables import DataProblem

    try:
        result = mod.score_file(trained, raw, Path(args.input).name,
                                **_extra_inputs(mod.score_file, argparse.Namespace(**{**vars(args), "items": None}), mod.SPEC.name))
    except DataProblem as exc:
        if exc.subject != "this model" or not getattr(args, "data", None):
            raise
        # "the file given" is the --data file here, not the input: name it
        raise DataProblem(exc.problems, f"this model with --data “{Path(args.data).name}”") from None
    warnings = list(result.attrs.get("warnings", []) or [])  # what must not pass unseen: amounts on another scale, too little history
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for note in result.attrs.get("notes", []) or []:  # what the reader noticed (guessed mappings, dropped values)
        if note not in warnings:
            print(f"note: {note}", file=sys.stderr)
    from usecases.core.tables import to_safe_csv

    replaced = out.exists()  # said, not asked: a second run over last week's scores should not pass unnoticed
    _write_whole(out, to_safe_csv(result))
    print(f"{args.name}: scored {len(result):,} rows → {out}" + (" (replaced the file that was there)" if replaced else ""))
    return 0


def _output_path(output: str, input_: str) -> Path:
    """Where ``score`` may write: not the input file, not a directory, inside an existing folder. A link is followed (the
    file it names is written), and anything that is not a plain file — a pipe, a device — is refused: the output is written
    beside the name and renamed over it, which had replaced a link, a FIFO, and (run as root) /dev/null itself with a
    plain file, saying "replaced the file that was there" (a sweep, 2026-12-06)."""
    out = Path(output)
    if out.is_symlink():
        target = out.resolve()
        if not target.exists() and not target.parent.is_dir():
            raise CliError(f"{output}: is a link to {target}, whose folder does not exist")
        out = target
    if out.exists() and not out.is_dir() and not out.is_file():
        raise CliError(f"{output}: is not a plain file (a device, pipe or socket); give the name of a .csv file to write")
    if out.suffix and out.suffix.lower() != ".csv":  # -o scores.xlsx had written CSV text under that name, which Excel refuses
        raise CliError(f"{output}: scores are written as CSV; give a name ending in .csv (--engine ray writes a folder of Parquet "
                       "files)")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise CliError(f"{output}: {parent} is a file, not a folder")
        if parent.exists():
            break
    if out.exists() and out.is_dir():
        raise CliError(f"{output}: is a directory")
    if not out.parent.exists():
        raise CliError(f"{output}: folder {out.parent} does not exist")
    if out.exists() and out.resolve() == Path(input_).resolve():
        raise CliError(f"{output}: is the input file; write the scores to another file")
    return out


def _write_whole(out: Path, data: bytes) -> None:
    """Write to a temporary file beside ``out``, then rename: never a half-written output."""
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CliError(f"{out}: cannot be written ({exc.strerror})") from None


def cmd_bench(args) -> int:
    from usecases.core.device import device_info, select_device

    results = []
    for name in _names(args.name):
        mod = usecases.get(name)
        figures = mod.bench(quick=args.quick)
        results.append({"usecase": name, "device": device_info(select_device()).label(), "figures": figures})
        if not args.json:
            print(f"{name} ({results[-1]['device']})")
            width = max(map(len, figures), default=0)
            for k, v in figures.items():
                print(f"  {k:<{width}} {v['value']:>12,.4g} {v['unit']}")
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results, default=float))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m usecases", description="AI Use-Case Lab command line.")
    p.add_argument("--device", help="cpu, cuda, cuda:N, mps or auto (default: auto, or $UCLAB_DEVICE)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("list", help="list the use cases and the state of their models")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_list)

    s = sub.add_parser("train", help="train a use case's model (or all) and save it to the model store")
    s.add_argument("name", help=f"one of {', '.join(usecases.NAMES)} or all")
    s.add_argument("--device", default=argparse.SUPPRESS, help="cpu, cuda, cuda:N, mps or auto")
    s.add_argument("--budget-seconds", type=float, help="stop training the PyTorch model after this many seconds (keeps the best so "
                   "far); the peers it is compared with are tuned in full after it (a note says when they took long)")
    s.add_argument("--data", help="train on your own file instead of the default data")
    s.add_argument("--model-name", help="name for a model trained with --data (default: the file name)")
    s.add_argument("--mapping", help="triage: JSON file mapping your columns and codes to the canonical fields")
    s.add_argument("--accept-guessed-mapping", action="store_true",
                   help="triage: train even when a coded column has codes the guessed mapping cannot place")
    s.add_argument("--items", help="recommendation: a titles file (MovieLens u.item, or CSV item_id,title[,genres])")
    s.add_argument("--text-column", help="textgen: the column of a CSV corpus that holds the text (default: guessed)")
    s.add_argument("--label", help="fraud: the label column of a featurised table (default: one named label, class, is_fraud, "
                                   "fraud, tx_fraud, target or y)")
    s.add_argument("--quick", action="store_true", help="a seconds-long configuration, for smoke tests")
    engine.add_arguments(s)
    s.set_defaults(fn=cmd_train)

    s = sub.add_parser("evaluate", help="metrics of the stored model and its baselines")
    s.add_argument("name")
    s.add_argument("--data", help="evaluate on your own labelled file")
    s.add_argument("--model", help="a named model trained with --data")
    s.add_argument("--mapping", help="triage: JSON column/code mapping for --data")
    s.add_argument("--accept-guessed-mapping", action="store_true", help="triage: evaluate even when codes cannot be placed")
    s.add_argument("--items", help="recommendation: a titles file for --data")
    s.add_argument("--text-column", help="textgen: the column of a CSV corpus that holds the text")
    s.add_argument("--label", help="fraud: the label column of a featurised table (default: the one the model was trained with)")
    s.add_argument("--json", action="store_true")
    s.add_argument("--device", default=argparse.SUPPRESS)
    s.set_defaults(fn=cmd_evaluate)

    s = sub.add_parser("score", help="batch predictions for a CSV file")
    s.add_argument("name")
    s.add_argument("input")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--model", help="a named model trained with train --data (default: the shipped model)")
    s.add_argument("--mapping", help="triage: JSON column/code mapping for the input file")
    s.add_argument("--accept-guessed-mapping", action="store_true", help="triage: score even when codes cannot be placed")
    s.add_argument("--data", help="recommendation: the file a --model was trained on (its users' histories are not kept with it)")
    s.add_argument("--items", help="recommendation: a titles file for --data")
    s.add_argument("--device", default=argparse.SUPPRESS)
    engine.add_arguments(s)
    s.set_defaults(fn=cmd_score)

    s = sub.add_parser("bench", help="speed and memory figures (with peers measured in the same run)")
    s.add_argument("name")
    s.add_argument("--json", action="store_true")
    s.add_argument("--quick", action="store_true", help="smaller inputs, for smoke tests")
    s.add_argument("--device", default=argparse.SUPPRESS)
    s.set_defaults(fn=cmd_bench)
    return p


def _numbers_attached(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``--budget-seconds -inf`` as ``--budget-seconds=-inf``: argparse takes a value starting with "-" that is not a plain
    negative number ("-inf", "-1e3") for an option, and said "expected one argument" instead of what is wrong with it."""
    numeric = set()
    stack = [parser]
    while stack:
        for action in stack.pop()._actions:
            if isinstance(action, argparse._SubParsersAction):
                stack += list(action.choices.values())
            elif action.type in (int, float) and action.nargs is None:
                numeric.update(o for o in action.option_strings if o.startswith("--"))
    out, i = [], 0
    while i < len(argv):
        token = argv[i]
        if token in numeric and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            try:
                float(argv[i + 1])
            except ValueError:
                pass
            else:
                out.append(f"{token}={argv[i + 1]}")
                i += 2
                continue
        out.append(token)
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_numbers_attached(parser, list(sys.argv[1:] if argv is None else argv)))
    from usecases.core.device import DeviceError, select_device
    from usecases.core.runner import TrainingCancelled
    from usecases.core.store import ModelUnusable, StoreReadOnly
    from usecases.core.tables import DataProblem

    try:
        if getattr(args, "device", None):
            select_device(args.device)  # fail early and clearly
            os.environ["UCLAB_DEVICE"] = args.device
        elif args.command != "list":
            select_device()  # a bad UCLAB_DEVICE is refused by every command, not only by train
        for opt in ("model", "model_name"):  # `--model "$MODEL"` with $MODEL unset had scored with the shipped model, without a word
            if isinstance(getattr(args, opt, None), str) and not getattr(args, opt).strip():
                flag = "--" + opt.replace("_", "-")
                raise CliError(f"{flag} is empty; give a model's name (`python -m usecases list` shows them), or leave {flag} out"
                               + (" for the shipped model" if opt == "model" else " to name the model after the file"))
        if hasattr(args, "engine"):
            engine.check(engine.from_args(args))  # bad engine options or an unreachable cluster fail before any work
        rc = args.fn(args)
        sys.stdout.flush()  # here, so a reader that stopped reading (`| head -2`) is met below, not at the interpreter's exit
        return rc
    except BrokenPipeError:  # the reader of stdout stopped reading (`evaluate … | head -2`): not a bug, and nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the interpreter's last flush would fail again
        return 141  # as a shell reports a command ended by SIGPIPE
    except (CliError, usecases.UnknownUseCase, DataProblem, ModelUnusable, DeviceError, StoreReadOnly, engine.EngineError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TrainingCancelled as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("error: interrupted; nothing was saved", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not the user's input: one line, and the traceback on request
        if os.environ.get("UCLAB_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''} "
              "(this is a bug in AI Use-Case Lab, not in your input; rerun with UCLAB_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
