"""Monte Carlo ranges: seeded, ordered, centred on the point estimate, and exposed in JSON."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

import estimator
from estimator.cli import cli
from estimator.planning.uncertainty import two_piece_normal


def test_split_normal_hits_its_percentiles():
    x = two_piece_normal(np.random.default_rng(1), 0.4, 0.3, 0.45, 200_000)
    p10, p50, p90 = np.percentile(x, [10, 50, 90])
    assert (p10, p50, p90) == pytest.approx((0.3, 0.4, 0.45), abs=0.002)


def test_uncertainty_is_reproducible_and_ordered():
    kw = dict(method="pretrain", model="llama-2-70b", tokens="2T", gpu="a100-80gb", gpus=2000, provider="aws")
    a = estimator.estimate(**kw, uncertainty=True, seed=3)
    b = estimator.estimate(**kw, uncertainty=True, seed=3)
    assert a.uncertainty == b.uncertainty
    for key in ("wall_clock_hours", "gpu_hours", "cost_usd"):
        q = a.uncertainty[key]
        assert q["p10"] < q["p50"] < q["p90"]
        assert q["p50"] == pytest.approx(a.values[key], rel=0.05)
    assert "mfu_base" in a.uncertainty["ranges"]
    assert "price_usd_per_gpu_hour" not in a.uncertainty["ranges"]  # provider chosen: price known


def test_override_removes_that_range():
    e = estimator.estimate(method="lora", model="llama-3.1-8b", tokens="50M", gpu="h100-sxm", provider="lambda",
                           overrides={"mfu_base": 0.4}, uncertainty=True)
    assert "mfu_base" not in e.uncertainty["ranges"]


def test_cli_json_has_percentile_fields():
    r = CliRunner().invoke(cli, ["estimate", "--method", "lora", "--model", "llama-3.1-8b", "--tokens", "50M",
                                 "--gpu", "h100-sxm", "--uncertainty", "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    for key in ("wall_clock_hours", "gpu_hours", "cost_usd"):
        assert data[f"{key}_p10"] <= data[f"{key}_p50"] <= data[f"{key}_p90"]


def test_api_has_no_spread():
    e = estimator.estimate(method="api", model="gpt-4o-mini", tokens=100_000, epochs=3, uncertainty=True)
    assert e.to_dict()["cost_usd_p10"] == e.to_dict()["cost_usd_p90"] == 0.9
