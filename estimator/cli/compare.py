"""`estimator compare`: routes side by side, the report, the table files."""

from __future__ import annotations

import sys

import click

from estimator.choices import PLOTLYJS
from estimator.cli.errors import friendly_errors
from estimator.cli.options import CATALOG, DEFAULT_MAX_ROWS, FORMAT, _parse_sets


@click.command()
@click.argument("scenarios", required=False, type=click.Path(dir_okay=False, readable=False))
@click.option("--dataset", "datasets", multiple=True, type=click.Path(readable=False),
              help="Dataset file(s): tokens come from them.")
@click.option("--tokens", help="Training tokens per epoch instead of a dataset (e.g. 50M).")
@click.option("--model", help="Model to compare routes for (default llama-3.1-8b).")
@click.option("--gpu", help="GPU for the own-GPU routes (default h100-sxm).")
@click.option("--provider", help="Price from this provider (default: median over providers).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), help="Write the HTML report here.")
@click.option("--output", "table_path", type=click.Path(dir_okay=False),
              help="Also write the table (every scenario and grid row, raw numbers) to .csv, .json or .xlsx.")
@click.option("--plotlyjs", type=click.Choice(PLOTLYJS), default="inline", show_default=True,
              help="Embed plotly.js (opens offline) or load it from the CDN (small file).")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Override an assumption in every scenario.")
@click.option("--epochs", help="Epochs for every fine-tuning and hosted route (default 3); pretraining takes none.")
@click.option("--tier", type=click.Choice(["on_demand", "spot", "reserved", "capacity_block"]), default="on_demand",
              show_default=True, help="Price tier for the own-GPU routes.")
@click.option("--gpus", type=int, help="GPU count for the fine-tuning routes (default: the fewest that fit).")
@click.option("--requests-per-day", help="Traffic the tuned model serves, for serving cost and TCO (e.g. 100k; "
              "default 10k, an illustrative level said in the notes; 0: serving not costed).")
@click.option("--input-tokens", default="1000", show_default=True, help="Prompt tokens per served request.")
@click.option("--output-tokens", default="1000", show_default=True, help="Generated tokens per served request.")
@click.option("--months", default="12", show_default=True, help="Serving horizon for the TCO.")
@click.option("--examples", help="Treat the dataset as a sample of a job this size (e.g. 50k examples, same lengths); "
              "with no arguments: the bundled example at 50k.")
@click.option("--budget", help="Dollars for pretraining (e.g. 50k): adds the compute-optimal model for that budget "
                               "as a route (as `estimator plan`), charted in the report.")
@click.option("--max-rows", type=click.IntRange(min=1), default=DEFAULT_MAX_ROWS, show_default=True,
              help="Refuse a grid with more points than this before computing anything.")
@CATALOG
@FORMAT
@friendly_errors
def compare(scenarios, datasets, tokens, model, gpu, provider, report_path, table_path, plotlyjs, sets, epochs, tier,
            gpus, requests_per_day, input_tokens, output_tokens, months, examples, max_rows, budget, catalogs, fmt) -> None:
    """Scratch vs full fine-tuning vs LoRA vs QLoRA vs hosted API, side by side.

    With SCENARIOS.yaml: its scenarios and grid. Without: the default routes for --model. With none of
    SCENARIOS, --dataset, --tokens and --model: the bundled example dataset at 50,000 examples, written to
    reports/comparison.html (other options, e.g. --budget or --provider, still apply).
    """
    from estimator.planning.comparison import DEFAULT_REQUESTS_PER_DAY
    from estimator.planning.comparison import compare as run_compare
    from estimator.present.render import frame_records_json, render_rows, to_json_with, write_frame_csv
    from estimator.present.tables import error_lines, headline_lines, human_rows

    no_args = not (scenarios or datasets or tokens or model)
    dataset = list(datasets) or None
    if no_args:
        from estimator.examples import example_dataset

        dataset = [str(example_dataset())]
        report_path = report_path or "reports/comparison.html"
        examples = examples or "50k"  # a realistic job: the example's lengths at 50,000 examples
    for flag, given in (("--report", report_path), ("--output", table_path)):
        if given is not None and not str(given).strip():
            raise click.UsageError(f"{flag} needs a file path, got an empty string")
    for target in (report_path, table_path):  # refused before any work: a device, a read-only folder, ...
        if target:
            from estimator.errors import OutputError
            from estimator.safe_io import check_output_target

            check_output_target(target, OutputError)
    result = run_compare(scenarios, dataset=dataset, model=model, gpu=gpu, provider=provider, tokens=tokens,
                         catalog=list(catalogs), overrides=_parse_sets(sets), epochs=epochs, tier=tier, gpus=gpus,
                         requests_per_day=requests_per_day if requests_per_day is not None else DEFAULT_REQUESTS_PER_DAY,
                         input_tokens=input_tokens, output_tokens=output_tokens,
                         months=months, examples=examples, max_rows=max_rows, budget=budget)
    path = None
    if report_path:  # written before printing, so a closed pipe (`| head`) cannot lose it
        from estimator.present.report import write_report

        path = write_report(result, report_path, plotlyjs=plotlyjs)
    frame = result.to_frame()
    if table_path:
        from estimator.present.render import write_frame

        click.echo(f"table: {write_frame(frame, table_path)}", err=True)
    breakeven = _owned_breakeven(gpu, provider, catalogs, _parse_sets(sets))
    if fmt == "table":
        click.echo(render_rows(human_rows(frame), "table"))
        if result.serving:
            from estimator.present.tables import serving_rows

            grid = " (named routes; grid rows vary the training only)" if result.grid is not None else ""
            click.echo(f"\nTraining + serving over {result.traffic.months:g} months "
                       f"({result.traffic.requests_per_day:,.0f} requests/day){grid}:")
            click.echo(render_rows(serving_rows(frame, result.traffic.months), "table"))
        for line in headline_lines(result.headline()) + [f"note: {n}" for n in result.notes + error_lines(frame)]:
            click.echo(line)
        if breakeven is not None:
            click.echo(f"\nOwned {breakeven.gpu}: ${breakeven.owned_usd_per_gpu_hour:.2f}/GPU-h; buying pays off after "
                       "(break-even months of use vs each rental price):")
            click.echo(render_rows([{k: r[k] for k in ("provider", "tier", "rental_usd_per_gpu_hour",
                                                         "breakeven_months")} for r in breakeven.rows], "table"))
    elif fmt == "json":
        click.echo(to_json_with({"headline": result.headline(), "notes": result.notes}
                                | ({"breakeven": breakeven.to_dict()} if breakeven is not None else {}),
                                {"scenarios": frame_records_json(frame)}))
    elif fmt == "csv":  # streamed: a million-row grid is never one string in memory
        write_frame_csv(frame, sys.stdout)
    else:
        click.echo(render_rows(frame.to_dict("records"), fmt))
    if path:
        click.echo(f"report: {path}", err=True)


def _owned_breakeven(gpu, provider, catalogs, overrides):
    """With --provider owned: the owned $/GPU-hour and break-even months vs every rental price of the GPU."""
    if (provider or "").lower() != "owned":
        return None
    from estimator.catalog.loader import load_catalog
    from estimator.planning.givens import DEFAULT_GPU
    from estimator.planning.ownership import rent_vs_buy

    return rent_vs_buy(gpu or DEFAULT_GPU, load_catalog(list(catalogs)), overrides=overrides)
