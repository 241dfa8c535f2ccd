import pytest


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run tests marked slow (the wheel install); .ci/run and the README's test command do")


def pytest_configure(config):
    # the validated-catalog cache goes to a folder of this run, never the user's ~/.cache (subprocesses inherit it)
    import os
    import tempfile

    os.environ.setdefault("ESTIMATOR_CACHE_DIR", tempfile.mkdtemp(prefix="estimator-test-cache-"))
    config.addinivalue_line("markers", "slow: takes minutes (e.g. builds and installs the wheel); run with --run-slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow (as .ci/run does)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _no_user_catalog(monkeypatch):
    """Tests see only the bundled tables unless they set ESTIMATOR_CATALOG themselves."""
    monkeypatch.delenv("ESTIMATOR_CATALOG", raising=False)
