"""Wrong values: booleans where numbers belong, absurd sizes (one set of bounds on every path), a scenario
without a method, giant grids refused up front, huge figures printed in scientific notation (issue 13)."""

import re

import pytest
from cli_helpers import one_line, run
from click.testing import CliRunner

import estimator
from estimator.catalog.bounds import QUANTITIES
from estimator.cli import cli
from estimator.errors import ConfigurationError
from estimator.planning import limits
from estimator.units import hours, parse_duration_hours, parse_number, plain, si, usd, with_unit

B = ["estimate", "--method", "lora", "--model", "llama-3.1-8b", "--tokens", "10M", "--gpu", "h100-sxm"]
HEAD = "defaults: {method: lora, model: llama-3.1-8b, tokens: 1M, gpu: h100-sxm}\n"




def scenario_file(tmp_path, body):
    f = tmp_path / "s.yaml"
    f.write_text(body)
    return f


# ---- booleans are not numbers, on every path -------------------------------------------------------------------
@pytest.mark.parametrize("value", [True, False])
def test_parse_number_refuses_booleans(value):
    with pytest.raises(ValueError, match="boolean"):
        parse_number(value)
    with pytest.raises(ValueError, match="boolean"):
        parse_duration_hours(value)


@pytest.mark.parametrize("line, needle", [
    ("  - {name: a, gpus: true}\n", "gpus: true is a boolean, not a number"),
    ("  - {name: a, gpus: yes}\n", "gpus: true is a boolean, not a number"),
    ("  - {name: a, tokens: on}\n", "tokens: true is a boolean, not a number"),
    ("  - {name: a, epochs: true}\n", "epochs: true is a boolean, not a number"),
    ("  - {name: a, deadline: true}\n", "boolean, not a duration"),
    ("  - {name: a, mfu: true}\n", "mfu=true: a boolean is not a number"),
    ("  - {name: a, set: {lora_rank: true}}\n", "lora_rank=true: a boolean is not a number"),
])
def test_scenario_file_booleans_are_rejected(tmp_path, line, needle):
    """Before: `gpus: true` ran on 1 GPU."""
    f = scenario_file(tmp_path, HEAD + "scenarios:\n" + line)
    one_line(run("compare", f), f"{f}:3: scenario 'a'", needle)


@pytest.mark.parametrize("grid, needle", [
    ("{gpus: [1, true]}", "True is not a number"),
    ("{tokens: [1M, false]}", "False is not a number"),
    ("{mfu: [0.3, yes]}", "grid mfu=true: a boolean is not a number"),
])
def test_grid_booleans_are_rejected(tmp_path, grid, needle):
    f = scenario_file(tmp_path, HEAD + f"grid: {grid}\n")
    one_line(run("compare", f), str(f), needle)


@pytest.mark.parametrize("extra, needle", [
    (["--gpus", "true"], "gpus: 'true' is not a number"),
    (["--set", "gpus=true"], "--set gpus='true': expected a number"),
    (["--set", "mfu=yes"], "--set mfu='yes': expected a number"),
    (["--epochs", "on"], "epochs: 'on' is not a number"),
])
def test_cli_booleans_are_rejected(extra, needle):
    one_line(run(*B, *extra), needle)


def test_cli_tokens_boolean_is_rejected():
    one_line(run("estimate", "--method", "lora", "--model", "llama-3.1-8b", "--tokens", "true"),
             "tokens: 'true' is not a number")


def test_api_booleans_are_rejected():
    with pytest.raises(ConfigurationError, match="gpus: true is a boolean"):
        estimator.estimate(method="lora", model="llama-3.1-8b", tokens=1e7, gpu="h100-sxm", gpus=True)
    with pytest.raises(ConfigurationError, match="tokens: true is a boolean"):
        estimator.estimate(method="lora", model="llama-3.1-8b", tokens=True, gpu="h100-sxm")
    with pytest.raises(ConfigurationError, match="mfu=true: a boolean is not a number"):
        estimator.estimate(method="lora", model="llama-3.1-8b", tokens=1e7, gpu="h100-sxm", overrides={"mfu": True})


# ---- one set of bounds on every path ---------------------------------------------------------------------------
GPU_MAX = QUANTITIES["gpus"][1]


def test_gpus_bound_is_the_same_on_every_path(tmp_path):
    """Before: --gpus 1000000000 gave 'wall clock 0 s' and $6.66 while --set gpus=1e9 was refused."""
    bound = "must be >= 1 and <= 1e+08"
    one_line(run(*B, "--gpus", "1000000000"), "gpus=1e+09", bound)
    one_line(run(*B, "--set", "gpus=1e9"), "gpus=1e+09", bound)
    one_line(run("compare", scenario_file(tmp_path, HEAD + "scenarios:\n  - {name: a, gpus: 1e9}\n")), bound)
    one_line(run("compare", scenario_file(tmp_path, HEAD + "grid: {gpus: [8, 1000000000]}\n")), bound)
    with pytest.raises(ConfigurationError, match=re.escape(bound)):
        estimator.estimate(method="lora", model="llama-3.1-8b", tokens=1e7, gpu="h100-sxm", gpus=1e9)
    # the bound itself is allowed, one above is not
    assert estimator.estimate(method="lora", model="llama-3.1-8b", tokens=1e7, gpu="h100-sxm", gpus=GPU_MAX).gpus == GPU_MAX
    with pytest.raises(ConfigurationError, match=re.escape(bound)):
        estimator.estimate(method="lora", model="llama-3.1-8b", tokens=1e7, gpu="h100-sxm", gpus=GPU_MAX + 1)


@pytest.mark.parametrize("argv", [["plan", "--budget", "50k"], ["serve", "--model", "llama-3.1-8b"],
                                  ["compare", "--tokens", "1M"]])
def test_gpus_bound_holds_for_plan_serve_and_compare(argv):
    """Before: `plan --gpus 1000000000` and `serve --gpus 1000000000` computed on a billion GPUs."""
    one_line(run(*argv, "--gpus", "1000000000"), "gpus=1e+09: must be >= 1 and <= 1e+08")


def test_epochs_bound_is_the_same_on_every_path(tmp_path):
    bound = "must be >= 0.01 and <= 100000"
    one_line(run(*B, "--epochs", "1e9"), "epochs=1e+09", bound)
    one_line(run(*B, "--set", "epochs=1e9"), "epochs=1e+09", bound)
    one_line(run("compare", scenario_file(tmp_path, HEAD + "grid: {epochs: [1, 1e9]}\n")), bound)
    one_line(run("estimate", "--method", "api", "--model", "gpt-4o-mini", "--tokens", "1M", "--epochs", "1e9"), bound)


def test_deadline_that_needs_more_gpus_than_the_bound_is_refused():
    """Before: a 30-day deadline on 1e30 tokens asked for 117,470,726,135,640,178,688 GPUs."""
    line = one_line(run("estimate", "--method", "pretrain", "--model", "llama-3.1-8b", "--tokens", "1e30", "--gpu",
                        "h100-sxm", "--deadline", "30d"))
    assert "a 720 h deadline needs more GPUs than the limit of 1e+08" in line


def test_default_compare_leaves_out_a_route_whose_deadline_is_out_of_bounds():
    r = run("compare", "--tokens", "1e30", "--format", "json")
    assert r.exit_code == 0, r.output
    assert "Pretrain from scratch (dataset tokens): left out: a 720 h deadline needs" in r.output


# ---- a scenario without a method ---------------------------------------------------------------------------------
def test_scenario_without_method_names_file_and_scenario(tmp_path):
    """Before: internal error (TypeError: Scenario.__init__() missing 1 required positional argument: 'method')."""
    f = scenario_file(tmp_path, "defaults: {model: llama-3.1-8b, tokens: 1M}\nscenarios:\n  - {name: a, gpu: h100-sxm}\n")
    one_line(run("compare", f), f"{f}:3: scenario 'a': no 'method' given")


def test_scenario_without_model_and_grid_without_method(tmp_path):
    f = scenario_file(tmp_path, "defaults: {method: lora, tokens: 1M}\nscenarios:\n  - {name: b}\n")
    one_line(run("compare", f), f"{f}:3: scenario 'b': no 'model' given")
    g = scenario_file(tmp_path, "defaults: {model: llama-3.1-8b, tokens: 1M}\ngrid: {mfu: [0.3, 0.4]}\n")
    one_line(run("compare", g), f"{g}: grid: no 'method' given")


# ---- giant grids: refused up front with the point count and the limit ---------------------------------------------
def giant(tmp_path, a=10_000, b=1_000):
    mfu = ", ".join(f"{0.1 + i * 1e-5:.6f}" for i in range(a))
    rank = ", ".join(str(i) for i in range(1, b + 1))
    return scenario_file(tmp_path, HEAD + f"grid:\n  mfu: [{mfu}]\n  lora_rank: [{rank}]\n")


def test_giant_grid_is_refused_before_any_work(tmp_path):
    """Before: 10**7 points ran 20-40 s to MemoryError at 6.5 GB."""
    import time

    f = giant(tmp_path)
    start = time.perf_counter()
    one_line(run("compare", f), "10,000,000 grid points (10000 mfu × 1000 lora_rank)", "limit of 1,000,000 rows",
             "--max-rows")
    assert time.perf_counter() - start < 10


def test_max_rows_option_moves_the_limit(tmp_path):
    f = giant(tmp_path, 30, 10)
    one_line(run("compare", f, "--max-rows", "100"), "300 grid points", "limit of 100 rows")
    r = run("compare", f, "--max-rows", "300", "--format", "csv")
    assert r.exit_code == 0, r.output
    assert len(r.output.strip().splitlines()) == 1 + 300
    assert run("compare", f, "--max-rows", "0").exit_code == 2  # click: must be >= 1


def test_grid_limit_in_the_library(tmp_path):
    assert limits.grid_points({"a": [1] * 1000, "b": [1] * 1000, "c": [1] * 1000, "d": [1] * 1000}) == 10**12
    with pytest.raises(ConfigurationError, match=r"1e\+12 grid points"):
        limits.check_grid_size({k: [1] * 1000 for k in "abcd"})
    assert limits.check_grid_size({k: [1] * 1000 for k in "abcd"}, None) == 10**12
    with pytest.raises(ConfigurationError, match="limit of 10 rows"):
        estimator.compare(giant(tmp_path, 11, 1), max_rows=10)


def test_cli_default_matches_the_library():
    from estimator.cli.options import DEFAULT_MAX_ROWS

    assert DEFAULT_MAX_ROWS == limits.DEFAULT_MAX_ROWS


# ---- huge figures in scientific notation ---------------------------------------------------------------------------
@pytest.mark.parametrize("value, text", [
    (3.551357e20, "$3.55e+20"), (1e12, "$1e+12"), (999e9, "$999,000.00 M"), (4.56e6, "$4.56 M"),
    (-3.551357e20, "$-3.55e+20"), (float("inf"), "$∞"), (3.445, "$3.45"),
])
def test_usd(value, text):
    assert usd(value) == text


@pytest.mark.parametrize("value, text", [
    (1e30, "1e+30"), (3.2e27, "3.2e+27"), (30.6e24, "30.6 Y"), (1.23e6, "1.23 M"),
])
def test_si_beyond_the_last_prefix(value, text):
    assert si(value) == text


def test_hours_plain_and_with_unit():
    assert hours(1e23) == "4.17e+21 days" and hours(100) == "4.2 days" and hours(float("inf")) == "∞"
    assert plain(1.1767956e19) == "1.18e+19" and plain(123456) == "123,456"
    assert with_unit(3e30, "tokens") == "3e+30 tokens"


def test_huge_estimate_prints_no_twenty_digit_figure():
    """Before: --tokens 1e30 printed $355,135,738,047,987,712.00 M and a 20-digit count of years."""

    r = run(*B[:5], "--tokens", "1e30", "--gpu", "h100-sxm")
    assert r.exit_code == 0, r.output
    assert re.search(r"cost +\$\d\.\d+e\+2\d\n", r.output), r.output  # e.g. $3.55e+23
    assert not re.search(r"\d{1,3}(,\d{3}){5,}", r.output), r.output  # no 16+ digit grouped figure anywhere
    assert re.search(r"wall clock \d\.\d+e\+\d+ years", r.output), r.output
    c = run("compare", "--tokens", "1e30")
    assert c.exit_code == 0 and not re.search(r"\d{1,3}(,\d{3}){5,}", c.output), c.output


# ---- grid values that are not ids ----------------------------------------------------------------------------------
@pytest.mark.parametrize("grid, needle", [
    ("{gpu: [h100-sxmm, h100-sxm]}", "unknown GPU 'h100-sxmm'; did you mean h100-sxm"),
    ("{gpu: [{a: 1}, h100-sxm]}", "grid 'gpu': {'a': 1} is not an id"),
    ("{region: [moon]}", "unknown energy region 'moon'"),
    ("{model: [llama-9]}", "unknown model 'llama-9'"),
    ("{provider: [aws, awz, owned]}", "unknown provider 'awz'; did you mean aws?"),
])
def test_grid_id_typos_are_errors_not_rows_that_do_not_fit(tmp_path, grid, needle):
    """Before: a mistyped GPU id in a grid became a row shown as 'hosted, does not fit'."""
    f = scenario_file(tmp_path, HEAD + f"grid: {grid}\n")
    one_line(run("compare", f), f"{f}: grid", needle)


def test_grid_inline_model_is_still_allowed(tmp_path):
    f = scenario_file(tmp_path, HEAD + "grid: {model: [llama-3.1-8b, {params: 7B}]}\n")
    r = run("compare", f, "--format", "csv")
    assert r.exit_code == 0, r.output
    assert len(r.output.strip().splitlines()) == 3


def test_a_grid_row_without_an_estimate_says_why_not_does_not_fit(tmp_path):
    """Before: a row that could not be priced showed as 'hosted ... does not fit'."""
    f = scenario_file(tmp_path, HEAD.replace("}", ", provider: vast}") + "grid: {tier: [on_demand, capacity_block]}\n")
    r = run("compare", f)
    assert r.exit_code == 0, r.output
    row = next(line for line in r.output.splitlines() if "tier=capacity_block" in line)
    assert "h100-sxm" in row and "no estimate" in row and "does not fit" not in row and "hosted" not in row
    assert "note: 1 row without an estimate: no capacity_block price for h100-sxm at vast" in r.output


def test_an_empty_report_path_is_refused_not_ignored():


    r = CliRunner().invoke(cli, ["compare", "--tokens", "1M", "--report", ""])
    assert r.exit_code == 2 and "--report needs a file path" in r.output and "Traceback" not in r.output


def test_unknown_region_lists_the_known_ones():
    """Nothing is close to 'eu' among the five US regions: the error lists them rather than nothing."""
    from tests.cli_helpers import one_line, run

    line = one_line(run("estimate", "--method", "lora", "--model", "llama-3.1-8b", "--tokens", "50M", "--gpu",
                        "h100-sxm", "--region", "eu"), "unknown energy region 'eu'", "known: ")
    assert "us-average" in line and "virginia" in line


def test_budget_accepts_a_dollar_sign():
    import estimator

    assert estimator.plan(budget="$50k", gpu="h100-sxm", provider="lambda").budget_usd == 50_000
