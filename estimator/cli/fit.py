"""`estimator fit`: what fits on one GPU (longest seq_len, largest LoRA rank, other settings that fit)."""

from __future__ import annotations

import json

import click

from estimator.choices import GPU_METHODS
from estimator.cli.errors import friendly_errors


@click.command()
@click.option("--model", required=True, help="Catalog id (e.g. llama-3.1-8b).")
@click.option("--gpu", required=True, help="Hardware id (e.g. a100-80gb).")
@click.option("--method", type=click.Choice(GPU_METHODS[1:]), default="lora", show_default=True)
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Fix a setting (repeatable), e.g. stack=unsloth.")
@click.option("--catalog", "catalogs", multiple=True, type=click.Path(), help="Extra catalog YAML file(s).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@friendly_errors
def fit(model, gpu, method, sets, catalogs, fmt) -> None:
    """The longest seq_len and the largest LoRA rank that fit on one GPU, with the settings assumed.

    \b
    estimator fit --model llama-3.1-8b --gpu rtx-4090 --method qlora
    estimator fit --model llama-3.1-70b --gpu h100-sxm --method full --set optimizer=adamw_8bit
    """
    from estimator.cli.options import _parse_sets
    from estimator.planning.fit import fit as fit_limits

    result = fit_limits(model, gpu, method, _parse_sets(sets), list(catalogs) or None)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
        return
    verdict = "fits" if result.fits else "does not fit"
    lines = [f"{result.model} {result.method} on one {result.gpu}: {verdict} at the settings below "
             f"({result.memory_gb:.1f} GB of {result.usable_gb:.1f} GB usable)",
             f"  longest seq_len that fits:  {result.max_seq_len if result.max_seq_len else 'none (not even 128)'}"]
    if result.method in ("lora", "qlora"):
        lines.append(f"  largest LoRA rank that fits: {result.max_lora_rank if result.max_lora_rank else 'none'}")
    lines.append("  settings: " + ", ".join(f"{k}={v}" for k, v in result.settings.items()))
    good = [o for o in result.options if o.fits]
    if good:
        lines.append("  fits instead with: " + "; ".join(f"{o.label} ({o.memory_gb:.1f} GB)" for o in good[:4]))
    click.echo("\n".join(lines))
