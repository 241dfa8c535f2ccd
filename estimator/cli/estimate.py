"""`estimator estimate`: one training run, its table, JSON or trace."""

from __future__ import annotations

from typing import Any

import click

from estimator.choices import METHODS, TIERS
from estimator.cli.errors import friendly_errors
from estimator.cli.options import CATALOG, FORMAT, _parse_sets


@click.command()
@click.option("--method", type=click.Choice(METHODS), required=True)
@click.option("--model", help="Catalog id (e.g. llama-3.1-8b); or use --params for a model not in the catalog.")
@click.option("--params", help="Parameters of a model not in the catalog (e.g. 7B).")
@click.option("--layers", type=int)
@click.option("--hidden", type=int)
@click.option("--heads", type=int)
@click.option("--kv-heads", type=int)
@click.option("--ffn", type=int)
@click.option("--vocab", type=int)
@click.option("--context", type=int)
@click.option("--tokens", help="Training tokens per epoch (e.g. 2T, 300M).")
@click.option("--dataset", "datasets", multiple=True, type=click.Path(readable=False),
              help="Dataset file(s) to count tokens from.")
@click.option("--epochs", help="Passes over the tokens (default: 1 pretrain, 3 fine-tuning, API rule with a dataset).")
@click.option("--no-packing", is_flag=True, help="With --dataset: pad each example to seq_len instead of packing.")
@click.option("--gpu", help="Hardware id (e.g. h100-sxm, a100-80gb).")
@click.option("--gpus", metavar="N", help="GPU count (default: the fewest that fit in memory).")
@click.option("--deadline", help="Finish within this time (e.g. 30d, 12h): the fewest GPUs that make it.")
@click.option("--provider", help="Price from this provider (default: median over providers).")
@click.option("--tier", type=click.Choice(TIERS), default="on_demand",
              show_default=True)
@click.option("--region", help="Energy region for electricity price, grid carbon and PUE (default: us-average).")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Override an assumption or quantity (repeatable).")
@CATALOG
@FORMAT
@click.option("--explain", is_flag=True, help="Print the trace: every rule, its inputs, value and source.")
@click.option("--uncertainty", is_flag=True, help="P10/P50/P90 of time, GPU-hours and cost (seeded Monte Carlo).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for --uncertainty.")
@friendly_errors
def estimate(method, model, params, layers, hidden, heads, kv_heads, ffn, vocab, context, tokens, datasets, epochs,
             no_packing, gpu, gpus, deadline, provider, tier, region, sets, catalogs, fmt, explain, uncertainty, seed) -> None:
    """Estimate FLOPs, memory, GPUs, time, GPU-hours, cost, energy and CO2 of one training run.

    \b
    estimator estimate --method pretrain --model llama-2-7b --tokens 2T --gpu a100-80gb --gpus 2048
    estimator estimate --method qlora --model llama-2-70b --tokens 10M --gpu a100-80gb --explain
    estimator estimate --method api --model gpt-4o-mini --tokens 100000 --epochs 3
    """
    import estimator as api
    from estimator.present.render import render_record

    if bool(model) == bool(params):
        raise click.ClickException("give exactly one of --model ID or --params N")
    shape = dict(layers=layers, hidden=hidden, heads=heads, kv_heads=kv_heads, ffn=ffn, vocab=vocab, context=context)
    if model and any(v is not None for v in shape.values()):
        given = ", ".join(f"--{k.replace('_', '-')}" for k, v in shape.items() if v is not None)
        raise click.ClickException(f"{given} only apply with --params (a model not in the catalog); to change "
                                   f"{model}, add it to a --catalog file")
    spec: Any = model
    if params:
        spec = {k: v for k, v in dict(params=params, layers=layers, hidden=hidden, heads=heads, kv_heads=kv_heads,
                                      ffn=ffn, vocab=vocab, context=context).items() if v is not None}
    result = api.estimate(method=method, model=spec, tokens=tokens, gpu=gpu, gpus=gpus, provider=provider, tier=tier,
                          epochs=epochs, deadline=deadline, dataset=list(datasets) or None, region=region,
                          overrides=_parse_sets(sets), catalog=list(catalogs), uncertainty=uncertainty, seed=seed,
                          packing=not no_packing)
    if explain:
        click.echo(result.explain())
        if fmt == "table":
            return
        click.echo()
    if fmt == "table":
        from estimator.present.render import render_rows

        click.echo(render_rows([{"quantity": k, "value": v} for k, v in result.summary()], "table"))
        for w in result.warnings:
            click.echo(f"warning: {w}", err=True)
        return
    record = result.to_dict()
    click.echo(render_record(record if fmt == "json" else {k: v for k, v in record.items()}, fmt))
