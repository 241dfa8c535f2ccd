"""Command line: parse options, call the library, render. No number is computed here."""

from __future__ import annotations

import sys
from typing import Any

import click

from estimator.choices import FORMATS, METHODS, PLOTLYJS, TIERS
from estimator.cli.errors import friendly_errors

DEFAULT_MAX_ROWS = 1_000_000  # estimator.plan.limits.DEFAULT_MAX_ROWS (not imported: --help stays fast)

FORMAT = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                      show_default=True, help="Output format (json/csv carry raw numbers).")
# readable=False: an unreadable file is reported by the loader as one line naming it, not as a usage error
CATALOG = click.option("--catalog", "catalogs", multiple=True, type=click.Path(dir_okay=False, readable=False),
                       help="Extra YAML catalog merged over the bundled tables (repeatable; also $ESTIMATOR_CATALOG).")


def _parse_sets(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        if "=" not in item:
            raise click.BadParameter(f"'{item}' is not NAME=VALUE", param_hint="--set")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="estimator", message="estimator %(version)s")
def cli() -> None:
    """Estimate what it costs to train a language model from scratch vs fine-tune one."""


@cli.command()
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
@click.option("--gpus", help="GPU count (default: the fewest that fit in memory).")
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


@cli.command()
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
@click.option("--requests-per-day", help="Traffic the tuned model serves (e.g. 100k; default 0, or 10k for the "
              "no-argument example).")
@click.option("--input-tokens", default="1000", show_default=True, help="Prompt tokens per served request.")
@click.option("--output-tokens", default="1000", show_default=True, help="Generated tokens per served request.")
@click.option("--months", default="12", show_default=True, help="Serving horizon for the TCO.")
@click.option("--examples", help="Treat the dataset as a sample of a job this size (e.g. 50k examples, same lengths); "
              "with no arguments: the bundled example at 50k.")
@click.option("--max-rows", type=click.IntRange(min=1), default=DEFAULT_MAX_ROWS, show_default=True,
              help="Refuse a grid with more points than this before computing anything.")
@CATALOG
@FORMAT
@friendly_errors
def compare(scenarios, datasets, tokens, model, gpu, provider, report_path, table_path, plotlyjs, sets, epochs, tier,
            gpus, requests_per_day, input_tokens, output_tokens, months, examples, max_rows, catalogs, fmt) -> None:
    """Scratch vs full fine-tuning vs LoRA vs QLoRA vs hosted API, side by side.

    With SCENARIOS.yaml: its scenarios and grid. Without: the default routes for --model. With no
    arguments at all: the bundled example dataset, written to reports/comparison.html.
    """
    from estimator.plan.comparison import compare as run_compare
    from estimator.present.render import frame_records_json, render_rows, to_json_with, write_frame_csv
    from estimator.present.tables import error_lines, headline_lines, human_rows

    no_args = not (scenarios or datasets or tokens or model)
    dataset = list(datasets) or None
    if no_args:
        from estimator.examples import example_dataset

        dataset = [str(example_dataset())]
        report_path = report_path or "reports/comparison.html"
        examples = examples or "50k"  # a realistic job: the example's lengths at 50,000 examples
        # ...served at a stated, illustrative traffic (printed above the TCO table and in the report)
        requests_per_day = requests_per_day or "10k"
    for target in (report_path, table_path):  # refused before any work: a device, a read-only folder, ...
        if target:
            from estimator.errors import OutputError
            from estimator.safe_io import check_output_target

            check_output_target(target, OutputError)
    result = run_compare(scenarios, dataset=dataset, model=model, gpu=gpu, provider=provider, tokens=tokens,
                         catalog=list(catalogs), overrides=_parse_sets(sets), epochs=epochs, tier=tier, gpus=gpus,
                         requests_per_day=requests_per_day or "0", input_tokens=input_tokens, output_tokens=output_tokens,
                         months=months, examples=examples, max_rows=max_rows)
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

            click.echo(f"\nTraining + serving over {result.traffic.months:g} months "
                       f"({result.traffic.requests_per_day:,.0f} requests/day):")
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
    from estimator.plan.givens import DEFAULT_GPU
    from estimator.plan.ownership import rent_vs_buy

    return rent_vs_buy(gpu or DEFAULT_GPU, load_catalog(list(catalogs)), overrides=overrides)


@cli.command()
@click.option("--output", type=click.Path(dir_okay=False), help="Write the markdown report here (e.g. docs/validation.md).")
@click.option("--samples", type=click.IntRange(100, 100_000), default=2000, show_default=True,
              help="Monte Carlo draws per case.")
@FORMAT
@friendly_errors
def validate(output, samples, fmt) -> None:
    """Recompute the published reference runs from their inputs and score the default assumptions."""
    from estimator.plan.validation import run_validation, to_markdown
    from estimator.present.render import render_rows, to_json

    results, summary = run_validation(samples=samples)
    if output:
        from estimator.atomic import write_text_atomic

        write_text_atomic(output, to_markdown(results, summary))
        click.echo(f"wrote {output}", err=True)
    rows = [{"case": r.id, "kind": r.kind, "reported": r.reported, "estimated": r.estimated, "error": r.error,
             "p10": r.p10, "p90": r.p90, "passed": r.passed} for r in results]
    summary = {k: v for k, v in summary.items() if not k.startswith("_")}  # "_" keys: objects for the report
    if fmt == "json":
        click.echo(to_json({"summary": summary, "cases": rows}))
    else:
        click.echo(render_rows(rows, fmt))
        if fmt == "table":
            for key, value in summary.items():
                if isinstance(value, (list, dict)) and value and isinstance(next(iter(value)), dict):
                    click.echo(f"{key}: {len(value)} rows (in --format json and docs/validation.md)")
                elif isinstance(value, list):
                    click.echo(f"{key}: {', '.join(map(str, value)) or 'none'}")
                else:
                    click.echo(f"{key}: {value:.3g}" if isinstance(value, float) else f"{key}: {value}")


@cli.group()
def catalog() -> None:
    """List and validate the catalog tables."""


def _list(table: str, columns: list[str]):
    @CATALOG
    @FORMAT
    @friendly_errors
    def command(catalogs, fmt) -> None:
        from estimator.catalog.loader import load_catalog
        from estimator.present.render import render_rows

        cat = load_catalog(list(catalogs))
        frame = cat.frame(table)
        cols = [c for c in columns if c in frame.columns]
        rows = frame[cols].to_dict("records") if fmt != "json" else frame.to_dict("records")
        click.echo(render_rows(rows, fmt, columns=None if fmt == "json" else cols))

    command.__doc__ = f"List {table}."
    return command


catalog.command("models")(_list("models", ["id", "name", "params", "active_params", "layers", "hidden", "context",
                                             "methods", "as_of"]))
catalog.command("hardware")(_list("hardware", ["id", "name", "generation", "memory_gb", "tdp_w", "as_of"]))
catalog.command("prices")(_list("gpu_prices", ["provider", "gpu", "tier", "usd_per_gpu_hour", "instance", "as_of"]))
catalog.command("apis")(_list("apis", ["id", "model", "provider", "method", "billing", "training_usd_per_1m_tokens",
                                         "training_usd_per_hour", "as_of"]))
catalog.command("energy")(_list("energy", ["id", "default", "electricity_usd_per_kwh", "grid_kgco2_per_kwh", "pue",
                                             "as_of"]))
catalog.command("assumptions")(_list("assumptions", ["key", "unit", "rules", "description"]))


@catalog.command("rules")
@FORMAT
@click.option("--output", type=click.Path(dir_okay=False), help="Write docs/rules.md (markdown, by module) here.")
@friendly_errors
def rules(fmt, output) -> None:
    """List every formula: the quantity it produces, its unit, inputs, formula and source."""
    from estimator.present.render import render_rows
    from estimator.present.rules_doc import rule_rows, rules_markdown

    if output:
        from estimator.atomic import write_text_atomic

        write_text_atomic(output, rules_markdown())
        click.echo(f"wrote {output}", err=True)
        return
    cols = ["quantity", "unit", "inputs", "formula", "source"] if fmt != "table" else ["quantity", "unit", "formula"]
    click.echo(render_rows(rule_rows(), fmt, columns=cols))


@catalog.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(readable=False))
@friendly_errors
def validate_catalog(files) -> None:
    """Check catalog files; print every problem as file:line: field: what (exit 1 if any)."""
    from estimator.catalog.loader import validate_file

    problems = [p for f in files for p in validate_file(f)]
    for p in problems:
        click.echo(p)
    if len(problems) > 1:
        click.echo(f"{len(problems)} problems", err=True)
    if problems:
        raise click.exceptions.Exit(1)
    click.echo(f"ok: {', '.join(files)}")


def _register_count() -> None:
    from estimator.cli.count import count  # its own module: the counter's many options
    from estimator.cli.plan import plan
    from estimator.cli.serve import serve

    cli.add_command(plan)
    cli.add_command(serve)

    cli.add_command(count)
    from estimator.cli.fit import fit  # what fits on one GPU

    cli.add_command(fit)


_register_count()


def main() -> None:
    from estimator.cli.errors import run_main

    run_main(cli)


if __name__ == "__main__":
    main()
