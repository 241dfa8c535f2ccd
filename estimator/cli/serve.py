"""`estimator serve`: parse options, call estimator.serve(), render."""

from __future__ import annotations

import click

from estimator.cli.errors import friendly_errors
from estimator.cli.options import CATALOG, EXPLAIN, FORMAT


@click.command("serve")
@click.option("--model", required=True, help="Catalog model id (e.g. llama-3.1-8b).")
@click.option("--gpu", help="Hardware id (default h100-sxm).")
@click.option("--gpus", type=int, help="A fixed GPU count to check against the traffic.")
@click.option("--provider", help="Price from this provider, or 'owned' (default: median over providers).")
@click.option("--tier", type=click.Choice(["on_demand", "spot", "reserved", "capacity_block"]), default="on_demand",
              show_default=True)
@click.option("--input-tokens", default="1000", show_default=True, help="Prompt tokens per request.")
@click.option("--output-tokens", default="1000", show_default=True, help="Generated tokens per request.")
@click.option("--requests-per-day", help="Traffic (e.g. 1M): GPUs and monthly cost for that average rate.")
@click.option("--months", default="12", show_default=True, help="Serving horizon for the total cost.")
@click.option("--region", help="Energy region for owned GPUs.")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Override (e.g. dtype=fp8).")
@CATALOG
@FORMAT
@EXPLAIN
@friendly_errors
def serve(model, gpu, gpus, provider, tier, input_tokens, output_tokens, requests_per_day, months, region, sets,
          catalogs, fmt, explain) -> None:
    """Serving throughput, KV cache per sequence, GPUs needed and $ per 1M tokens for a model you host.

    \b
    estimator serve --model llama-3.1-8b --gpu h100-sxm --set dtype=fp8 --input-tokens 1000 --output-tokens 1000
    estimator serve --model llama-3.1-70b --gpu h100-sxm --provider lambda --requests-per-day 1M --months 12
    """
    import estimator as api
    from estimator.cli.options import _parse_sets
    from estimator.present.render import render_record, render_rows
    from estimator.units import usd

    result = api.serve(model, gpu=gpu, gpus=gpus, provider=provider, tier=tier, input_tokens=input_tokens,
                       output_tokens=output_tokens, requests_per_day=requests_per_day, months=months, region=region,
                       overrides=_parse_sets(sets), catalog=list(catalogs))
    if explain:
        click.echo(result.explain())
        click.echo()
    if fmt in ("json", "csv"):
        record = result.to_dict()
        if fmt == "csv":
            record.pop("warnings")
        click.echo(render_record(record, fmt))
        return
    rows = [("model", f"{result.model} ({result.dtype})"),
            ("throughput", f"{result.output_tokens_per_second:,.0f} output tokens/s per GPU "
                           f"({result.gpus_per_replica} GPU(s) per replica)"),
            ("KV cache per sequence", f"{result.kv_cache_gb_per_sequence:.3g} GB at {result.input_tokens + result.output_tokens:,.0f} tokens"),
            ("GPUs", f"{result.gpus} × {result.gpu}"),
            ("$ per 1M output tokens", usd(result.usd_per_million_tokens)),
            ("price", f"{usd(result.price_usd_per_gpu_hour)} / GPU-h"),
            ("monthly serving cost", usd(result.monthly_serving_usd)),
            (f"over {result.months:g} months", usd(result.serving_cost_usd))]
    click.echo(render_rows([{"quantity": k, "value": v} for k, v in rows], fmt))
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
