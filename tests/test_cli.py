"""CLI through click's CliRunner: the issue's commands and every bad input (one line, exit != 0)."""

import json

import pytest
from click.testing import CliRunner

from estimator.cli import cli


def run(*args, **kw):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kw)


def one_line_error(result):
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_pretrain_llama2_70b_json_within_35_percent_of_paper():
    r = run("estimate", "--method", "pretrain", "--model", "llama-2-70b", "--tokens", "2T", "--gpu", "a100-80gb",
            "--gpus", "2000", "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    for key in ("train_flops", "gpus", "memory_per_gpu_gb", "tokens_per_gpu_second", "wall_clock_hours", "gpu_hours",
                "cost_usd", "energy_kwh", "co2_kg", "method", "model", "gpu", "warnings"):
        assert key in data
    # Llama 2 paper Table 2. Utilisation is fitted by mechanism across families (issue 10), not to this run:
    # it reads ~27% high with the default full recomputation (docs/validation.md).
    assert abs(data["gpu_hours"] / 1_720_320 - 1) < 0.35
    steady_gpu_hours = data["gpus"] * data["steady_state_hours"]
    assert data["tokens_per_gpu_second"] == pytest.approx(data["train_tokens"] / steady_gpu_hours / 3600)


def test_qlora_70b_one_gpu_with_explain():
    r = run("estimate", "--method", "qlora", "--model", "llama-2-70b", "--tokens", "10M", "--gpu", "a100-80gb",
            "--explain")
    assert r.exit_code == 0, r.output
    assert "1 × a100-80gb" in r.output
    assert "gpus = 1 GPUs" in r.output
    for rule in ("train_flops", "weight_bytes", "activation_bytes", "memory_per_gpu_bytes", "gpus_to_fit", "mfu",
                 "wall_clock_hours", "gpu_hours", "cost_usd", "energy_kwh", "co2_kg"):
        assert f"\n{rule} = " in r.output
    assert "Dettmers et al. 2023" in r.output and "Korthikanti" in r.output
    assert r.output.count("source:") >= 30


def test_api_cost_json():
    r = run("estimate", "--method", "api", "--model", "gpt-4o-mini", "--tokens", "100000", "--epochs", "3",
            "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["cost_usd"] == 0.9


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown"])
def test_other_formats(fmt):
    r = run("estimate", "--method", "lora", "--model", "llama-3.1-8b", "--tokens", "50M", "--gpu", "h100-sxm",
            "--format", fmt)
    assert r.exit_code == 0, r.output
    assert "llama-3.1-8b" in r.output


def test_inline_params_and_set_override():
    r = run("estimate", "--method", "full", "--params", "7B", "--layers", "32", "--hidden", "4096", "--heads", "32",
            "--tokens", "1B", "--gpu", "h100-sxm", "--set", "mfu=0.45", "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["mfu"] == 0.45
    assert data["train_flops"] == pytest.approx(6 * 7e9 * 1e9 * 3)  # 3 epochs default for fine-tuning


def test_deadline_picks_fewest_gpus_that_finish():
    r = run("estimate", "--method", "pretrain", "--model", "llama-2-7b", "--tokens", "2T", "--gpu", "a100-80gb",
            "--deadline", "30d", "--format", "json")
    data = json.loads(r.output)
    assert data["wall_clock_hours"] <= 720
    assert data["gpus"] % 8 == 0  # beyond one server, deadline counts are whole 8-GPU servers
    fewer = run("estimate", "--method", "pretrain", "--model", "llama-2-7b", "--tokens", "2T", "--gpu", "a100-80gb",
                "--gpus", str(int(data["gpus"]) - 8), "--format", "json")
    assert json.loads(fewer.output)["wall_clock_hours"] > 720


def test_provider_and_tier_price():
    r = run("estimate", "--method", "lora", "--model", "llama-3.1-8b", "--tokens", "10M", "--gpu", "h100-sxm",
            "--provider", "lambda", "--format", "json")
    data = json.loads(r.output)
    assert data["price_usd_per_gpu_hour"] == pytest.approx(2.99)  # Lambda 8x H100 SXM list price per GPU


def test_catalog_lists():
    for table in ("models", "hardware", "prices", "apis", "energy", "assumptions", "rules"):
        r = run("catalog", table)
        assert r.exit_code == 0, r.output
    assert "llama-3.1-405b" in run("catalog", "models").output
    models = json.loads(run("catalog", "models", "--format", "json").output)
    assert len(models) >= 30


def test_catalog_validate(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("gpu_prices:\n  - {provider: us, gpu: a100-80gb, tier: reserved, usd_per_gpu_hour: 1.1, "
                    "source: contract, as_of: 2026-11}\n")
    assert run("catalog", "validate", str(good)).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("gpu_prices:\n  - {provider: us, gpu: a100-80gb, tier: weekly, usd_per_gpu_hour: 0, as_of: 2026}\n")
    r = run("catalog", "validate", str(bad))
    assert r.exit_code == 1
    assert f"{bad}:2: gpu_prices 'us/a100-80gb/weekly', field 'tier'" in r.output
    assert "field 'usd_per_gpu_hour'" in r.output and "field 'source'" in r.output


# ---- bad input: one line, non-zero exit, no traceback --------------------------------------
BASE = ["estimate", "--method", "pretrain", "--tokens", "1T", "--gpu", "a100-80gb"]


def test_unknown_model_suggests():
    line = one_line_error(run(*BASE, "--model", "llama-2-7"))
    assert "unknown model 'llama-2-7'" in line and "llama-2-7b" in line


def test_unknown_gpu_suggests():
    line = one_line_error(run("estimate", "--method", "lora", "--model", "llama-2-7b", "--tokens", "1M",
                              "--gpu", "h100-sx"))
    assert "unknown GPU 'h100-sx'" in line and "h100-sxm" in line


def test_unknown_provider():
    line = one_line_error(run(*BASE, "--model", "llama-2-7b", "--gpus", "64", "--provider", "lamda"))
    assert "lambda" in line


@pytest.mark.parametrize("args, text", [
    (["--tokens", "-5"], "tokens must be a positive number"),
    (["--tokens", "0"], "tokens must be a positive number"),
    (["--tokens", "lots"], "is not a number"),
    (["--gpus", "0"], "gpus must be a positive number"),
    (["--gpus", "2.5"], "whole number"),
    (["--epochs", "0"], "epochs must be a positive number"),
    (["--deadline", "soon"], "not a duration"),
    (["--set", "mfu=high"], "expected a number"),
    (["--set", "mfuu=0.4"], "did you mean mfu"),
])
def test_bad_quantities(args, text):
    argv = ["estimate", "--method", "pretrain", "--model", "llama-2-7b", "--tokens", "1T", "--gpu", "a100-80gb", *args]
    assert text in one_line_error(run(*argv))


def test_method_the_model_does_not_support():
    line = one_line_error(run("estimate", "--method", "lora", "--model", "gpt-4o-mini", "--tokens", "1M"))
    assert "use method 'api'" in line
    line = one_line_error(run("estimate", "--method", "api", "--model", "qwen2.5-7b", "--tokens", "1M"))
    assert "no hosted fine-tuning API" in line and "gpt-4o-mini" in line


def test_does_not_fit_on_given_count_adopts_a_setting_that_does():
    """Refuse only what no setting fits: 70B full fine-tuning on 4 A100 fits once something is offloaded."""
    r = run("estimate", "--method", "full", "--model", "llama-2-70b", "--tokens", "1M", "--gpu", "a100-80gb",
            "--gpus", "4", "--format", "json")
    assert r.exit_code == 0, r.output
    notes = " ".join(json.loads(r.output)["warnings"])
    assert "does not fit on 4 × a100-80gb" in notes and "; using " in notes


def test_does_not_fit_with_the_users_settings_says_what_would():
    line = one_line_error(run("estimate", "--method", "full", "--model", "llama-3.2-3b", "--tokens", "1M",
                              "--gpu", "a100-80gb", "--gpus", "1", "--set", "micro_batch=4", "--set", "seq_len=4096",
                              "--set", "activation_recompute=none", "--set", "optimizer=adamw"))
    assert "does not fit on 1 × a100-80gb at micro-batch 4 without checkpointing" in line
    assert "fits with --set micro_batch=1" in line


def test_cannot_fit_on_any_count():
    line = one_line_error(run("estimate", "--method", "full", "--model", "llama-3.1-405b", "--tokens", "1M",
                              "--gpu", "t4", "--set", "seq_len=131072", "--set", "activation_recompute=none"))
    assert "does not fit on any number of t4" in line and "nor with" in line


def test_malformed_user_catalog(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("models:\n  - id: x\n   name: y\n")
    line = one_line_error(run(*BASE, "--model", "llama-2-7b", "--catalog", str(bad)))
    assert line.startswith(f"Error: {bad}:") and "invalid YAML" in line


def test_invalid_user_catalog_entry(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("hardware:\n  - id: my-gpu\n    name: y\n    vendor: v\n    generation: g\n    memory_gb: lots\n"
                   "    peak_tflops: {bf16: 1}\n    source: s s\n    as_of: 2026-01\n")
    line = one_line_error(run(*BASE, "--model", "llama-2-7b", "--catalog", str(bad)))
    assert f"{bad}:6: hardware 'my-gpu', field 'memory_gb'" in line


def test_binary_catalog_file(tmp_path):
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\x00\x01\x02binary")
    assert "binary" in one_line_error(run(*BASE, "--model", "llama-2-7b", "--catalog", str(binary)))


def test_missing_catalog_file(tmp_path):
    assert "file not found" in one_line_error(run(*BASE, "--model", "llama-2-7b", "--catalog", str(tmp_path / "no.yaml")))


def test_missing_model_and_tokens():
    assert "exactly one of --model" in one_line_error(run("estimate", "--method", "full", "--tokens", "1M"))
    assert "give the training tokens" in one_line_error(run("estimate", "--method", "full", "--model", "llama-2-7b"))


def test_help_stays_light():
    """`estimator --help` must not import numpy, pandas, pydantic, tiktoken or plotly."""
    import subprocess
    import sys

    code = ("import sys; from click.testing import CliRunner; from estimator.cli import cli; "
            "CliRunner().invoke(cli, ['--help']); "
            "print(','.join(m for m in ('numpy', 'pandas', 'pydantic', 'tiktoken', 'plotly') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_rule_has_unit_formula_and_source():
    rows = json.loads(run("catalog", "rules", "--format", "json").output)
    assert len(rows) >= 30
    assert all(r["unit"] and len(r["formula"]) > 3 and len(r["source"]) > 3 for r in rows)


def test_csv_lists_are_joined_not_python_reprs():
    """--format csv: the warnings cell reads 'a; b', not "['a', 'b']"."""
    import csv
    import io

    from click.testing import CliRunner

    from estimator.cli import cli

    out = CliRunner().invoke(cli, ["estimate", "--method", "lora", "--model", "llama-3.1-8b", "--tokens", "50M",
                                   "--gpu", "h100-sxm", "--format", "csv"]).output
    row = next(csv.DictReader(io.StringIO(out[out.index("name,"):])))
    assert row["warnings"] and not row["warnings"].startswith("[") and "; " in row["warnings"]
