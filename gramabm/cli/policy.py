"""`gramabm policy` commands: train a holder policy from history, and evaluate a policy file.

Heavy libraries (pandas, scikit-learn, skops) are imported inside the commands so that
``gramabm --help`` answers at once. Errors of the kit (``GramabmError``) are not caught here: the
entry point prints them and exits with status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gramabm.cli.options import parse_params, text_file

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(
    rich_markup_mode=None,  # help texts show their [defaults]; nothing in them is markup
    help="Holder behaviour policies: train from gold history or observed flows, evaluate files.",
    no_args_is_help=True,
)

FAMILY_CHOICES = ("logistic", "gbt")
TOKEN_CHOICES = ("augment", "zeros")


def _choice(value: str, choices: tuple[str, ...], option: str) -> str:
    from gramabm.errors import ConfigError

    if value not in choices:
        raise ConfigError(f"{option} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _gold(path: Path | None) -> pd.Series:
    from gramabm.data.loaders import load_gold

    return load_gold(csv=path)


@app.command("train")
def train(
    out: Annotated[Path, typer.Option("--out", help="Policy file to write (.skops).")],
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Gold prices CSV (date,price in USD/oz), or a flows CSV (date plus net_buy_g "
            "and/or net_mint_g; see gramabm.policies.training). Default: built-in gold history.",
        ),
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option(
            "--prices", help="Gold prices CSV for a flows CSV without a price column [built-in]."
        ),
    ] = None,
    family: Annotated[str, typer.Option("--family", help="logistic or gbt.")] = "logistic",
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="Label look-ahead (days).")] = 5,
    risk_aversion: Annotated[
        float, typer.Option("--risk-aversion", min=0.0, help="Label risk aversion (CRRA gamma).")
    ] = 3.0,
    threshold: Annotated[
        float, typer.Option("--threshold", min=0.0, help="Certainty equivalent needed to act.")
    ] = 0.02,
    token_features: Annotated[
        str, typer.Option("--token-features", help="augment or zeros [augment; flows: zeros].")
    ] = "",
    validation_share: Annotated[
        float, typer.Option("--validation-share", help="Share of rows held out.")
    ] = 0.25,
    block_rows: Annotated[
        int,
        typer.Option(
            "--block-rows", min=0, help="Hold out interleaved blocks of N rows (0: the latest)."
        ),
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of synthetic draws.")] = 0,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Policy parameter KEY=VALUE (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead.")] = False,
) -> None:
    """Train a policy, report held-out scores against the baselines, and save it."""
    import json

    from gramabm.policies.io import save_policy
    from gramabm.policies.training import is_flows_csv, train_policy, train_policy_from_flows

    _choice(family, FAMILY_CHOICES, "--family")
    params = parse_params(param, allow_none=True)
    if csv is not None and is_flows_csv(csv):
        from gramabm.policies.training import load_flows_csv

        mode = _choice(token_features or "zeros", TOKEN_CHOICES, "--token-features")
        flows = load_flows_csv(csv)
        gold = None if "price" in flows else _gold(prices)
        policy, report = train_policy_from_flows(
            flows,
            gold,
            family,
            token_mode=mode,  # type: ignore[arg-type]
            validation_share=validation_share,
            seed=seed,
            params=params,
        )
    else:
        mode = _choice(token_features or "augment", TOKEN_CHOICES, "--token-features")
        policy, report = train_policy(
            _gold(csv),
            family,
            horizon,
            risk_aversion=risk_aversion,
            threshold=threshold,
            token_mode=mode,  # type: ignore[arg-type]
            validation_share=validation_share,
            block_rows=block_rows,
            seed=seed,
            params=params,
        )
    path = save_policy(policy, out, report)
    if as_json:
        typer.echo(json.dumps({"out": str(path), "report": report.to_dict()}))
        return
    for line in report.lines():
        typer.echo(line)
    typer.echo(f"saved {path}")


@app.command("evaluate")
def evaluate(
    file: Annotated[Path, typer.Argument(help="Policy file (.skops) written by `policy train`.")],
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Score on this gold prices or flows CSV (rows after the training period).",
        ),
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option("--prices", help="Gold prices CSV for a flows CSV without a price column."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead.")] = False,
) -> None:
    """Show a policy file's metadata and stored scores; with --csv, score it on that data."""
    import json

    from gramabm.policies.io import load_policy_file
    from gramabm.policies.training import evaluate_policy, is_flows_csv, load_flows_csv

    if csv is not None:
        text_file(csv, "CSV file")  # before anything is loaded: a binary file fails at once
    loaded = load_policy_file(file)
    meta = loaded.metadata
    evaluation = None
    if csv is not None:
        if is_flows_csv(csv):
            flows = load_flows_csv(csv)
            gold = None if "price" in flows else _gold(prices)
            evaluation = evaluate_policy(loaded.policy, meta, flows, gold)
        else:
            evaluation = evaluate_policy(loaded.policy, meta, _gold(csv))
    if as_json:
        payload: dict[str, Any] = {
            "file": str(file),
            "metadata": meta,
            "evaluation": None if evaluation is None else evaluation.to_dict(),
        }
        typer.echo(json.dumps(payload))
        return
    _print_metadata(meta)
    if evaluation is not None:
        scope = "held out (after training)" if evaluation.held_out else "ALL rows (not held out)"
        p = evaluation.period
        typer.echo(
            f"scored on {evaluation.source}, {p['start']} to {p['end']} ({p['rows']:,} rows, {scope})"
        )
        typer.echo("  log loss / Brier:")
        rows = [("policy", evaluation.policy), ("rule_based", evaluation.baseline)]
        if evaluation.prior is not None:
            rows.append(("prior", evaluation.prior))
        for name, s in rows:
            typer.echo(f"    {name:<11} {s.log_loss:8.4f}  {s.brier:7.4f}")


def _print_metadata(meta: dict[str, Any]) -> None:
    typer.echo(f"class       {meta.get('class')}")
    versions = meta.get("versions", {})
    typer.echo("versions    " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    typer.echo(f"created     {meta.get('created')}")
    training = meta.get("training")
    if not training:
        typer.echo("training    (not recorded)")
        return
    train, valid = training["train"], training["validation"]
    typer.echo(f"source      {training['source']}")
    typer.echo(f"train       {train['start']} to {train['end']} ({train['rows']:,} rows)")
    typer.echo(f"validation  {valid['start']} to {valid['end']} ({valid['rows']:,} rows)")
    scores = meta.get("scores", {})
    typer.echo("stored held-out log loss / Brier:")
    for name in ("policy", "rule_based", "prior"):
        if name in scores:
            s = scores[name]
            typer.echo(f"  {name:<11} {s['log_loss']:8.4f}  {s['brier']:7.4f}")


@app.command("build-default")
def build_default(
    config: Annotated[
        str,
        typer.Option(
            "--config",
            help="Configuration (file or shipped name) whose holders.herding and "
            "holders.risk_aversion set the recipe [calibrated: what `gramabm stress` uses].",
        ),
    ] = "calibrated",
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", help="Cache root [GRAMABM_CACHE or the user cache]."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead.")] = False,
) -> None:
    """(Re)build the default learned policy from the built-in gold history into the cache.

    The stress run trains it on first use anyway; this command does it ahead of time (or again,
    e.g. after a cache file was damaged). See gramabm.policies.default for the recipe and key.
    """
    import json

    from gramabm.config import load_config
    from gramabm.policies.default import build_default_policy, recipe_for
    from gramabm.policies.io import read_metadata

    holders = load_config(config).holders
    recipe = recipe_for(holders.herding, holders.risk_aversion)
    path = build_default_policy(recipe, cache_dir=cache_dir)
    meta = read_metadata(path)
    if as_json:
        typer.echo(json.dumps({"out": str(path), "recipe": recipe.to_dict(), "metadata": meta}))
        return
    typer.echo(
        f"recipe      {recipe.family}, label risk aversion {recipe.risk_aversion:g}, "
        f"panic discount {recipe.panic_discount:g} (from {config}: herding {holders.herding:g}, "
        f"risk aversion {holders.risk_aversion:g})"
    )
    _print_metadata(meta)
    typer.echo(f"saved {path}")
