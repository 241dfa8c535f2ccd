"""`estimator plan`: parse options, call estimator.plan(), render."""

from __future__ import annotations

import click

from estimator.cli.errors import friendly_errors
from estimator.cli.options import CATALOG, EXPLAIN, FORMAT


def _sets(values: tuple[str, ...]) -> dict[str, str]:
    from estimator.cli.options import _parse_sets

    return _parse_sets(values)


@click.command("plan")
@click.option("--budget", help="Dollars to spend on pretraining (e.g. 50k, 2M).")
@click.option("--flops", help="Training compute instead of dollars (e.g. 1e23).")
@click.option("--deadline", help="Finish within this time (e.g. 30d): with --gpus, the most compute that fits; "
              "with --budget/--flops, the fewest GPUs that make it.")
@click.option("--gpu", help="Hardware id (default h100-sxm).")
@click.option("--gpus", type=int, help="GPU count (default: one 8-GPU server, or the fewest that fit).")
@click.option("--provider", help="Price from this provider, or 'owned' (default: median over providers).")
@click.option("--tier", type=click.Choice(["on_demand", "spot", "reserved", "capacity_block"]), default="on_demand",
              show_default=True)
@click.option("--scaling", default="epoch", show_default=True,
              help="Loss fit: epoch (Besiroglu et al. 2024), chinchilla (Hoffmann et al. 2022), or FILE.yaml.")
@click.option("--inference-tokens", help="Lifetime inference demand (e.g. 2T): size for training + inference "
              "compute (Sardana et al. 2024).")
@click.option("--dataset", "datasets", multiple=True, type=click.Path(),
              help="Also list the catalog models that fine-tune on this dataset within the same budget.")
@click.option("--region", help="Energy region (electricity price, PUE) for owned GPUs.")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Override an assumption (repeatable).")
@CATALOG
@FORMAT
@EXPLAIN
@friendly_errors
def plan(budget, flops, deadline, gpu, gpus, provider, tier, scaling, inference_tokens, datasets, region, sets,
         catalogs, fmt, explain) -> None:
    """Compute-optimal model size and tokens for a budget, a FLOP count or a deadline.

    \b
    estimator plan --budget 50k --gpu h100-sxm --provider lambda
    estimator plan --flops 1e23 --gpu h100-sxm --deadline 30d --scaling chinchilla
    estimator plan --budget 50k --gpu h100-sxm --provider lambda --inference-tokens 2T
    """
    import estimator as api
    from estimator.present.render import render_record, render_rows
    from estimator.units import count as si  # counts of parameters and tokens: 13.6 B, 271 B, 2 T
    from estimator.units import usd

    result = api.plan(budget=budget, flops=flops, deadline=deadline, gpu=gpu, gpus=gpus, provider=provider, tier=tier,
                      scaling=scaling, inference_tokens=inference_tokens, dataset=list(datasets) or None,
                      region=region, overrides=_sets(sets), catalog=list(catalogs))
    if explain:
        click.echo(result.explain())
        click.echo()
    if fmt == "json":
        click.echo(render_record(result.to_dict(), "json"))
        return
    if fmt == "csv":
        record = {k: v for k, v in result.to_dict().items() if k not in ("breakeven", "finetune", "warnings")}
        click.echo(render_rows([record], "csv"))
        return
    rows = [("scaling fit", result.scaling), ("parameters N", si(result.params)),
            ("training tokens D", si(result.train_tokens)), ("tokens per parameter D/N", f"{result.tokens_per_param:.1f}"),
            ("training FLOPs", f"{result.train_flops:.3g}"), ("predicted loss", f"{result.predicted_loss:.3f} nats/token *"),
            ("GPUs", f"{result.gpus} × {result.gpu}"), ("wall clock", f"{result.wall_clock_days:,.1f} days"),
            ("price", f"{usd(result.price_usd_per_gpu_hour)} / GPU-h"), ("cost", usd(result.cost_usd))]
    if result.budget_usd is not None:
        rows.append(("budget", usd(result.budget_usd)))
    if result.inference_tokens:
        rows += [("inference tokens", si(result.inference_tokens)),
                 ("without inference (Chinchilla-style)", f"{si(result.chinchilla_params)} params on "
                                                          f"{si(result.chinchilla_train_tokens)} tokens")]
    click.echo(render_rows([{"quantity": k, "value": v} for k, v in rows], fmt))
    click.echo(f"* {result.note}")
    if result.breakeven:
        click.echo(f"\nBuy instead of rent: owned {result.gpu} pays off after (months of use)")
        click.echo(render_rows([{"provider": r["provider"], "tier": r["tier"], "rent $/GPU-h": r["rental_usd_per_gpu_hour"],
                                 "break-even months": r["breakeven_months"]} for r in result.breakeven], fmt))
    if result.finetune:
        within = [r for r in result.finetune if r["within_budget"]]
        click.echo(f"\nFine-tuning instead, on the dataset ({len(within)} of {len(result.finetune)} routes within "
                   f"{usd(result.budget_usd or result.cost_usd)}; cheapest first):")
        shown = [{"route": r["route"], "cost": r["cost_usd"], "GPUs": r.get("gpus"), "days": r.get("wall_clock_days"),
                  "within budget": "yes" if r["within_budget"] else "no"} for r in result.finetune if r["cost_usd"]][:15]
        click.echo(render_rows(shown, fmt))
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
