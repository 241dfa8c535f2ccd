"""Command line: parse options, call the library, render. No number is computed here; one module per command."""

from __future__ import annotations

import click

COMMANDS = {  # name -> module holding the click command of that name, imported only when it runs (or for --help)
    "estimate": "estimator.cli.estimate", "compare": "estimator.cli.compare", "plan": "estimator.cli.plan",
    "serve": "estimator.cli.serve", "fit": "estimator.cli.fit", "count": "estimator.cli.count",
    "validate": "estimator.cli.validate", "catalog": "estimator.cli.catalog",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use: `estimator estimate` loads one command module, not eight."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        import importlib

        return getattr(importlib.import_module(COMMANDS[name]), name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="estimator", message="estimator %(version)s")
def cli() -> None:
    """Estimate what it costs to train a language model from scratch vs fine-tune one.

    \b
    Start here:  estimator compare            (the bundled example: every route, a report)
                 estimator compare --dataset my.jsonl --requests-per-day 50k
                 estimator plan --budget 50k --gpu h100-sxm
    Every number's formula, inputs and source: add --explain."""


def main() -> None:
    from estimator.cli.errors import run_main

    run_main(cli)


if __name__ == "__main__":
    main()
