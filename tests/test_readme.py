"""The README's console examples are real: each `$ estimator ...` block reproduces its printed output."""

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from estimator.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```console\n\$ (estimator [^\n]+)\n(.*?)```", README, flags=re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("command, expected", BLOCKS, ids=[b[0][:60] for b in BLOCKS])
def test_readme_console_block(command, expected):
    result = CliRunner().invoke(cli, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    lines = expected.rstrip("\n").splitlines()
    if lines and lines[-1] == "...":
        lines = lines[:-1]
    got = [line.rstrip() for line in result.output.splitlines()]
    assert got[: len(lines)] == [line.rstrip() for line in lines]


def test_readme_accuracy_paragraph_is_current():
    """The README's 'How accurate' figures are `estimator validate`'s summary (scripts/update_readme.py writes
    them); a calibration change without rerunning the script fails here instead of leaving stale figures."""
    import importlib.util

    from estimator.planning.validation import validate

    path = Path(__file__).resolve().parent.parent / "scripts" / "update_readme.py"
    spec = importlib.util.spec_from_file_location("update_readme", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = module.ACCURACY.search(README)
    assert current, "README lacks the generated accuracy paragraph"
    assert current.group(2) == module.accuracy(validate()[1])
