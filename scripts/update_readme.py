"""Regenerate the output shown under every ```console block of README.md from the real command.
Run: python scripts/update_readme.py (tests/test_readme.py checks the README is current)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from estimator.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"


def refresh(match: re.Match) -> str:
    command, old = match.group(1), match.group(2)
    out = CliRunner().invoke(cli, shlex.split(command)[1:]).output
    lines = old.rstrip("\n").splitlines()
    if lines and lines[-1] == "...":  # the README shows only the first lines
        out = "\n".join(out.splitlines()[: len(lines) - 1]) + "\n...\n"
    return f"```console\n$ {command}\n{out}```"


def main() -> None:
    text = README.read_text(encoding="utf-8")
    README.write_text(re.sub(r"```console\n\$ (estimator [^\n]+)\n(.*?)```", refresh, text, flags=re.S), encoding="utf-8")


if __name__ == "__main__":
    main()
