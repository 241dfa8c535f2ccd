"""One place where the CLI turns errors into one-line messages (exit 1, no traceback; Ctrl-C: exit 130)."""

from __future__ import annotations

import errno
import functools
import os
import sys
from typing import Any

import click

INTERRUPTED = 130  # 128 + SIGINT, what shells report for a command stopped by Ctrl-C
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


def friendly_errors(func):
    """Turn library errors into one-line click errors (exit 1, no traceback); Ctrl-C into `interrupted`, exit 130."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from estimator.errors import EstimatorError

        try:
            result = func(*args, **kwargs)
            sys.stdout.flush()  # a full disk shows here, as one line, not as "Exception ignored" at exit
            return result
        except EstimatorError as exc:
            raise click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        except KeyboardInterrupt:
            _interrupted()
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # output piped into `head` and closed: not an error
            _silence_stdout()
            raise click.exceptions.Exit(0) from None
        except OSError as exc:
            if _stdout_broken(exc):
                _silence_stdout()
                raise click.ClickException(f"cannot write the output: {_reason(exc)}") from None
            if exc.filename is not None and not os.environ.get("ESTIMATOR_DEBUG"):
                raise click.ClickException(f"{exc.filename}: {_reason(exc)}") from None
            _internal(exc)
        except Exception as exc:  # a bug, not bad input: one line, the traceback on request
            _internal(exc)

    return wrapper


def run_main(command: Any) -> None:
    """Run the click group as the console script: output errors outside any command (--help, --version on a
    full disk) are one line too."""
    try:
        command()
    except SystemExit as exc:
        if exc.code == INTERRUPTED:  # a second Ctrl-C while the process exits must not print a traceback
            _ignore_sigint()
        raise
    except OSError as exc:
        if not _stdout_broken(exc):
            raise
        _silence_stdout()
        click.echo(f"Error: cannot write the output: {_reason(exc)}", err=True)
        sys.exit(1)


def _ignore_sigint() -> None:
    import signal

    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        pass


def _interrupted() -> None:
    # the handler stays as it is here: in-process callers (tests, scripts) keep their Ctrl-C; the console
    # script ignores a second one on its way out (run_main)
    click.echo("interrupted", err=True)
    raise click.exceptions.Exit(INTERRUPTED) from None


def _internal(exc: Exception) -> None:
    if os.environ.get("ESTIMATOR_DEBUG"):
        raise exc
    raise click.ClickException(f"internal error ({type(exc).__name__}: {exc}); please report it, "
                               "with ESTIMATOR_DEBUG=1 for the traceback") from None


def _reason(exc: OSError) -> str:
    from estimator.safe_io import reason

    return reason(exc)


def _stdout_broken(exc: OSError) -> bool:
    """True when the error is writing the output (full disk, quota, I/O error): no file name, since every
    file the library writes or reads raises its own error naming the file."""
    return exc.errno in _FULL and exc.filename is None


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush of what is left cannot fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (e.g. CliRunner)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
