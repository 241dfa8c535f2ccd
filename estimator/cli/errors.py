"""One place where the CLI turns errors into one-line messages (exit 1, no traceback)."""

from __future__ import annotations

import functools
from typing import Any

import click


def friendly_errors(func):
    """Turn library errors into one-line click errors (exit 1, no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from estimator.errors import EstimatorError

        try:
            return func(*args, **kwargs)
        except EstimatorError as exc:
            raise click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        except KeyboardInterrupt:
            raise click.Abort() from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # output piped into `head` and closed: not an error
            import os
            import sys

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except Exception as exc:  # a bug, not bad input: one line, the traceback on request
            import os

            if os.environ.get("ESTIMATOR_DEBUG"):
                raise
            raise click.ClickException(f"internal error ({type(exc).__name__}: {exc}); please report it, "
                                       "with ESTIMATOR_DEBUG=1 for the traceback") from None

    return wrapper
