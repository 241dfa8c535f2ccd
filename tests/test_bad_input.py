"""Worst inputs found in review: each is a one-line error (or a stated warning), never a traceback or a silent absurdity."""

import json

import pytest
from click.testing import CliRunner

import estimator
from estimator.catalog.loader import validate_file
from estimator.cli import cli

B = ["estimate", "--method", "lora", "--model", "llama-3.1-8b", "--tokens", "10M", "--gpu", "h100-sxm"]


def one_line(result):
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def run(*argv):
    return CliRunner().invoke(cli, list(argv))


@pytest.mark.parametrize("setting, text", [
    ("mfu=0", "must be > 0"), ("mfu=-0.5", "must be > 0"), ("mfu=1.5", "<= 1"),
    ("method_efficiency=0", ">= 0.01"), ("usable_memory_fraction=2", "<= 1"), ("weight_bytes_per_param=-2", ">= 0.1"),
    ("zero_stage=5", "<= 3"), ("zero_stage=2.5", "whole number"), ("seq_len=0", ">= 1"), ("micro_batch=-4", ">= 1"),
    ("lora_rank=0", ">= 1"), ("lora_targets=bogus", "unknown choice"), ("activation_recompute=bogus", "unknown choice"),
    ("amortization_years=0", ">= 0.1"), ("purchase_usd_per_gpu=-5", ">= 0"),
])
def test_out_of_range_overrides(setting, text):
    assert text in one_line(run(*B, "--provider", "owned", "--set", "purchase_usd_per_gpu=30000", "--set", setting))


def test_grid_override_out_of_range(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("defaults: {method: lora, model: llama-3.1-8b, tokens: 1M}\ngrid: {mfu: [0.3, 0, -0.2, 2]}\n")
    assert "grid mfu=0: must be > 0" in one_line(run("compare", str(f)))


def test_scenario_key_typo_suggests_field(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("defaults: {method: lora, model: llama-3.1-8b, tokens: 1M}\nscenarios:\n  - {name: a, gpuu: h100-sxm}\n")
    assert "did you mean 'gpu'" in one_line(run("compare", str(f)))


def test_scenario_set_mapping(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("defaults: {method: lora, model: llama-3.1-8b, tokens: 1M}\n"
                 "scenarios:\n  - {name: a, gpu: h100-sxm, set: {mfu: 0.5}}\n")
    c = estimator.compare(f)
    assert c.estimates[0].mfu == 0.5


@pytest.mark.parametrize("body, text", [
    ("hardware:\n  - {id: g, name: G, vendor: v, generation: x, memory_gb: 80, peak_tflops: {bf16: 0}, source: s s, as_of: 2025-01}\n",
     "peak_tflops.bf16"),
    ("hardware:\n  - {id: g, name: G, vendor: v, generation: x, memory_gb: 80, tdp_w: .inf, peak_tflops: {bf16: 9}, source: s s, as_of: 2025-01}\n",
     "tdp_w"),
    ("assumptions:\n  mfu_base:\n    unit: fraction\n    description: d\n    bounds: [0.01, 1.0]\n    rules:\n      - {value: 5, source: s s}\n",
     "outside the allowed range"),
    ("models:\n  - {id: m, name: M, params: 7.0e9, layers: 32, hidden: 3000, heads: 7, source: s s, as_of: 2025-01}\n",
     "not divisible by heads"),
    ("models:\n  - {id: m, name: M, params: 1.0e30, source: s s, as_of: 2025-01}\n", "params"),
    ("models:\n  - {id: m, name: M, params: 7.0e9, source: s s, as_of: 2099-01-01}\n", "in the future"),
])
def test_catalog_validate_rejects_values_that_break_estimates(tmp_path, body, text):
    f = tmp_path / "c.yaml"
    f.write_text(body)
    problems = validate_file(f)
    assert any(text in p for p in problems), problems


def test_bundled_assumption_values_respect_their_bounds():
    from estimator.catalog.loader import load_catalog

    for name, table in load_catalog().assumptions.items():
        assert table.bounds or table.choices, f"{name} declares no bounds or choices"


def test_model_without_shape_gets_published_shape_with_warning(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text("models:\n  - {id: m3, name: M3, params: 7.0e9, source: internal config, as_of: 2026-01}\n")
    e = estimator.estimate(method="lora", model="m3", tokens=1e7, gpu="h100-sxm", catalog=[str(f)])
    assert e.values["layers"] == 32 and any("GPT-3" in w for w in e.warnings)


def test_params_that_do_not_match_the_shape():
    line = one_line(run("estimate", "--method", "full", "--params", "7", "--layers", "32", "--hidden", "4096",
                        "--tokens", "1B", "--gpu", "h100-sxm"))
    assert "does not match the shape" in line and "7B" in line


def test_shape_options_need_params():
    assert "only apply with --params" in one_line(run(*B, "--layers", "40"))


def test_zero_layers_is_an_error_not_missing():
    assert "'layers' must be a positive" in one_line(run("estimate", "--method", "full", "--params", "7B", "--layers",
                                                         "0", "--hidden", "4096", "--tokens", "1B", "--gpu", "h100-sxm"))


def test_compare_rejects_tokens_and_dataset(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text('{"text": "hello"}\n')
    assert "either tokens or a dataset" in one_line(run("compare", "--model", "llama-3.1-8b", "--tokens", "10M",
                                                        "--dataset", str(f)))


def test_validate_samples_range():
    r = run("validate", "--samples", "0")
    assert r.exit_code != 0 and "Traceback" not in r.output


def test_hardware_without_power_warns_instead_of_nan():
    e = estimator.estimate(method="lora", model="llama-3.1-8b", tokens=1e7, gpu="a10g")
    assert any("no published power figure" in w for w in e.warnings)
    assert "n/a" in dict(e.summary())["energy"]


def test_absurd_scale_is_flagged():
    e = estimator.estimate(method="lora", model="llama-3.1-8b", tokens=1e7, gpu="h100-sxm", gpus=10_000_000)
    text = " ".join(e.warnings)
    assert "largest cluster" in text and "cannot keep every GPU busy" in text
    big = estimator.estimate(method="lora", model="llama-3.1-8b", tokens=1e40, gpu="h100-sxm")
    assert any("largest published run" in w for w in big.warnings)
    assert any("years" in w for w in big.warnings)


def test_api_ignores_gpu_options_with_a_warning():
    e = estimator.estimate(method="api", model="gpt-4o-mini", tokens=1e5, gpu="h100-sxm", gpus=8)
    assert any("ignored for a hosted API" in w for w in e.warnings)


def test_negative_deadline_says_positive():
    assert "must be a positive" in one_line(run(*B, "--deadline", "-5d"))


def test_deadline_units():
    from estimator.units import parse_duration_hours

    assert parse_duration_hours("90min") == 1.5 and parse_duration_hours("3600s") == 1.0


def test_default_compare_leaves_out_routes_that_cannot_run():
    r = run("compare", "--model", "llama-3.1-405b", "--gpu", "t4", "--tokens", "10M", "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert any("left out" in n for n in data["notes"])
    assert {s["name"] for s in data["scenarios"]} >= {"LoRA", "QLoRA"}


def test_unexpected_errors_are_one_line(monkeypatch):
    import estimator.planning.estimation as est

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(est, "estimate_scenario", boom)
    line = one_line(run(*B))
    assert "internal error" in line and "kaboom" in line
