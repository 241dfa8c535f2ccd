"""Invariants, tested with random inputs: one path for every number, and monotone costs."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import estimator
from estimator.catalog import load_catalog
from estimator.planning.grid import evaluate_grid
from estimator.units import parse_number, si

CAT = load_catalog(use_env=False)
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

methods = st.sampled_from(["pretrain", "full", "lora", "qlora"])
models = st.sampled_from(["llama-3.1-8b", "llama-2-7b", "mistral-7b", "llama-2-70b", "pythia-1b"])
gpus_ids = st.sampled_from(["h100-sxm", "a100-80gb", "a100-40gb", "l40s", "mi300x"])
dtypes = st.sampled_from(["bf16", "fp8", "fp16"])
providers = st.sampled_from([None, "lambda", "aws", "runpod"])
tiers = st.sampled_from(["on_demand", "spot"])
tokens = st.sampled_from(["10M", "1B", "50B", "1T"])
counts = st.sampled_from([None, 1, 8, 64, 512, 1024])


def _single(point: dict):
    """The single estimate for a grid point, or the error it raises."""
    over = {k: point[k] for k in ("dtype", "mfu_base", "seq_len") if point.get(k) is not None}
    try:
        return estimator.estimate(point["method"], point["model"], point["tokens"], gpu=point["gpu"],
                                  gpus=point.get("gpus"), provider=point.get("provider"), tier=point["tier"],
                                  epochs=point.get("epochs"), overrides=over, catalog=CAT)
    except estimator.EstimatorError as exc:
        return exc


@FAST
@given(base_method=methods, model=models, gpu_a=gpus_ids, gpu_b=gpus_ids, dtype_a=dtypes, dtype_b=dtypes,
       provider=providers, tier=tiers, tok=tokens, gpus=counts, epochs=st.sampled_from([None, 1, 2.5]),
       mfu=st.sampled_from([None, 0.2, 0.45]), reverse=st.booleans())
def test_every_grid_row_equals_the_single_estimate(base_method, model, gpu_a, gpu_b, dtype_a, dtype_b, provider, tier,
                                                   tok, gpus, epochs, mfu, reverse):
    base = {"method": base_method, "model": model, "tokens": tok, "tier": tier}
    for key, value in (("provider", provider), ("gpus", gpus), ("epochs", epochs), ("mfu_base", mfu)):
        if value is not None:
            base[key] = value
    grid = {"gpu": list(dict.fromkeys([gpu_a, gpu_b])), "dtype": list(dict.fromkeys([dtype_a, dtype_b])),
            "method": ["lora", base_method]}
    if reverse:  # ordering the grid's values differently must not change any row
        grid = {k: list(reversed(v)) for k, v in reversed(list(grid.items()))}
    try:
        frame = evaluate_grid(base, grid, CAT)
    except estimator.EstimatorError:
        return  # e.g. a provider without that GPU: the whole grid is refused, like the estimate
    for row in frame.to_dict("records"):
        point = base | {k: row[k] for k in ("gpu", "dtype", "method")}
        single = _single(point)
        if isinstance(single, Exception):
            assert not row["fits"], (point, str(single))
            continue
        assert row["fits"], (point, row.get("error"))
        for key in ("gpus", "memory_per_gpu_gb", "wall_clock_hours", "gpu_hours", "cost_usd", "energy_kwh"):
            assert row[key] == pytest.approx(single.values[key], rel=1e-9, nan_ok=True), (key, point)


@FAST
@given(method=methods, model=models, gpu=gpus_ids, small=st.floats(1e6, 1e12), factor=st.floats(1.0, 100.0),
       gpus=counts)
def test_more_tokens_is_never_cheaper(method, model, gpu, small, factor, gpus):
    a, b = _single(dict(method=method, model=model, tokens=small, gpu=gpu, gpus=gpus, tier="on_demand")), \
        _single(dict(method=method, model=model, tokens=small * factor, gpu=gpu, gpus=gpus, tier="on_demand"))
    if isinstance(a, Exception) or isinstance(b, Exception) or not math.isfinite(a.cost_usd):
        return
    assert b.cost_usd >= a.cost_usd * (1 - 1e-9)
    assert b.gpu_hours >= a.gpu_hours * (1 - 1e-9)


@FAST
@given(method=methods, model=models, gpu=gpus_ids, price=st.floats(0.1, 50.0), bump=st.floats(1.0, 10.0))
def test_a_higher_price_is_never_cheaper(method, model, gpu, price, bump):
    runs = []
    for p in (price, price * bump):
        try:
            runs.append(estimator.estimate(method, model, "1B", gpu=gpu, overrides={"price_usd_per_gpu_hour": p},
                                           catalog=CAT))
        except estimator.EstimatorError:
            return
    assert runs[1].cost_usd >= runs[0].cost_usd * (1 - 1e-9)


@given(st.floats(1e-3, 1e17, allow_nan=False, allow_infinity=False))
def test_human_numbers_round_trip(x):
    text = si(x, digits=6)
    assert parse_number(text.replace(" ", "")) == pytest.approx(x, rel=1e-5)


def test_the_report_shows_the_users_price_everywhere(tmp_path):
    """Reproduction of issue 9: a --catalog price reaches the table, the sensitivity chart and the sources."""
    from estimator.present.report import render_report

    mine = tmp_path / "mine.yaml"
    mine.write_text("gpu_prices:\n  - {provider: lambda, gpu: h100-sxm, tier: on_demand, usd_per_gpu_hour: 9.99,\n"
                    "     source: our negotiated quote, as_of: 2026-11-01}\n", encoding="utf-8")
    c = estimator.compare(model="llama-3.1-8b", tokens="20M", provider="lambda", catalog=[str(mine)],
                          uncertainty=False)
    assert all(e.values["price_usd_per_gpu_hour"] == 9.99 for e in c.estimates if e.method != "api")
    html = render_report(c, plotlyjs="cdn")
    assert "our negotiated quote" in html and "$9.99" in html
    assert "<td>lambda on-demand</td><td>$9.99/GPU-h</td>" in html  # rent-vs-buy table: the user's price
    # the bundled lambda H100 price appears nowhere (runpod's own on-demand row, in the rent-vs-buy table, is $2.99 too)
    assert "$2.99" not in html.replace("<td>runpod on-demand</td><td>$2.99/GPU-h</td>", "")


def test_docs_rules_md_is_generated_from_the_registry():
    from pathlib import Path

    from estimator.present.rules_doc import rules_markdown

    doc = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
    assert doc.read_text(encoding="utf-8") == rules_markdown(), "stale: run estimator catalog rules --output docs/rules.md"
