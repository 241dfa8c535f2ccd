"""`estimator catalog ...`: list and validate the catalog tables, and the rules."""

from __future__ import annotations

import click

from estimator.cli.errors import friendly_errors
from estimator.cli.options import CATALOG, FORMAT


@click.group()
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
