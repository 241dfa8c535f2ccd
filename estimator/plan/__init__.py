"""From a question to numbers: scenarios resolved into columns and evaluated through the rules in one pass."""

import sys as _sys
import types as _types


class _CallablePackage(_types.ModuleType):
    """`estimator.plan(...)` is the budget planner (estimator.plan.budget.plan).

    The package shares its name with the public function: importing any estimator.plan.* module binds
    `estimator.plan` to this package, so the package itself forwards calls to the planner.
    """

    def __call__(self, *args, **kwargs):
        from estimator.plan.budget import plan

        return plan(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallablePackage
