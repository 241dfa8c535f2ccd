"""`estimator validate`: recompute the published reference runs and score the defaults."""

from __future__ import annotations

import click

from estimator.cli.errors import friendly_errors
from estimator.cli.options import FORMAT


@click.command()
@click.option("--output", type=click.Path(dir_okay=False), help="Write the markdown report here (e.g. docs/validation.md).")
@click.option("--samples", type=click.IntRange(100, 100_000), default=2000, show_default=True,
              help="Monte Carlo draws per case.")
@FORMAT
@friendly_errors
def validate(output, samples, fmt) -> None:
    """Recompute the published reference runs from their inputs and score the default assumptions."""
    from estimator.planning.validation import run_validation, to_markdown
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
                if isinstance(value, list) and value and isinstance(value[0], dict):
                    click.echo(f"{key}: {len(value)} rows (in --format json and docs/validation.md)")
                elif isinstance(value, dict):
                    for sub, v in value.items():
                        if not isinstance(v, (list, dict)):
                            click.echo(f"{key}.{sub}: {v:.3g}" if isinstance(v, float) else f"{key}.{sub}: {v}")
                elif isinstance(value, list):
                    joined = ", ".join(map(str, value)) or "none"
                    if len(joined) <= 120:
                        click.echo(f"{key}: {joined}")
                    else:  # one item per line: a long list stays readable on a terminal
                        click.echo(f"{key}:")
                        for item in value:
                            click.echo(f"  - {item}")
                else:
                    click.echo(f"{key}: {value:.3g}" if isinstance(value, float) else f"{key}: {value}")
