"""Options and parsing shared by the commands (no library imports: `estimator --help` stays fast)."""

from __future__ import annotations

import click

from estimator.choices import FORMATS

DEFAULT_MAX_ROWS = 1_000_000  # estimator.planning.limits.DEFAULT_MAX_ROWS (not imported: --help stays fast)

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
EXPLAIN = click.option("--explain", is_flag=True, help="Print the trace: every rule, its inputs, value and source.")
