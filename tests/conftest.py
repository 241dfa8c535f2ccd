import pytest


@pytest.fixture(autouse=True)
def _no_user_catalog(monkeypatch):
    """Tests see only the bundled tables unless they set ESTIMATOR_CATALOG themselves."""
    monkeypatch.delenv("ESTIMATOR_CATALOG", raising=False)
