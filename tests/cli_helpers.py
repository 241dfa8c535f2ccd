"""Helpers the bad-input tests share: run the CLI in process, and check for exactly one error line."""

from click.testing import CliRunner

from estimator.cli import cli


def one_line(result, *needles):
    """Exit code != 0, no traceback, exactly one non-empty line, containing every needle."""
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1, result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def run(*argv):
    return CliRunner().invoke(cli, [str(a) for a in argv])
