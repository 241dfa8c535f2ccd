"""Command line: parse options, call the library, render. No number is computed here; one module per command."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="estimator", message="estimator %(version)s")
def cli() -> None:
    """Estimate what it costs to train a language model from scratch vs fine-tune one.

    \b
    Start here:  estimator compare            (the bundled example: every route, a report)
                 estimator compare --dataset my.jsonl --requests-per-day 50k
                 estimator plan --budget 50k --gpu h100-sxm
    Every number's formula, inputs and source: add --explain."""


def _register() -> None:
    from estimator.cli.catalog import catalog
    from estimator.cli.compare import compare
    from estimator.cli.count import count
    from estimator.cli.estimate import estimate
    from estimator.cli.fit import fit
    from estimator.cli.plan import plan
    from estimator.cli.serve import serve
    from estimator.cli.validate import validate

    for command in (estimate, compare, plan, serve, fit, count, validate, catalog):
        cli.add_command(command)


_register()


def main() -> None:
    from estimator.cli.errors import run_main

    run_main(cli)


if __name__ == "__main__":
    main()
