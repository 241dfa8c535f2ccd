"""compare(): default routes, scenario files, grids evaluated in one vectorised pass."""

import json
import math

import pytest
from click.testing import CliRunner

import estimator
from estimator.catalog.loader import load_catalog
from estimator.cli import cli
from estimator.planning.comparison import compare
from estimator.planning.grid import evaluate_grid


def test_default_routes_for_a_model():
    c = compare(model="llama-3.1-8b", tokens="20M")
    frame = c.to_frame()
    # the scratch run on 20M tokens is left out (far below compute-optimal); hosted services follow the GPU routes
    assert list(frame["method"])[:5] == ["pretrain", "full", "lora", "qlora", "api"]
    assert set(frame["method"][4:]) == {"api"} and len(frame) >= 9
    assert frame.loc[0, "train_tokens"] == pytest.approx(20 * load_catalog().model("llama-3.1-8b").params)
    assert frame.loc[0, "wall_clock_days"] <= 30  # deadline for pretraining routes
    assert {"cost_usd", "gpu_hours", "wall_clock_days", "memory_per_gpu_gb"} <= set(frame.columns)
    head = c.headline()
    assert head["cheapest"]["name"] in {"LoRA", "QLoRA", "Full fine-tuning"}
    scratch_vs_lora = next(r for r in head["ratios"] if r["fine_tuning"] == "LoRA" and "optimal" in r["scratch"])
    assert scratch_vs_lora["cost_ratio"] == pytest.approx(frame.loc[0, "cost_usd"] / frame.loc[2, "cost_usd"])


def test_grid_matches_scalar_estimates():
    cat = load_catalog()
    grid = evaluate_grid({"method": "pretrain", "model": "llama-3.1-8b", "tokens": "1T"},
                         {"gpu": ["a100-80gb", "h100-sxm"], "provider": ["aws", "lambda"], "gpus": [8, 1024]}, cat)
    assert len(grid) == 8
    for row in grid.to_dict("records"):
        e = estimator.estimate(method="pretrain", model="llama-3.1-8b", tokens="1T", gpu=row["gpu"],
                               provider=row["provider"], gpus=int(row["gpus"]))
        assert row["cost_usd"] == pytest.approx(e.cost_usd)
        assert row["wall_clock_hours"] == pytest.approx(e.wall_clock_hours)
        assert row["mfu"] == pytest.approx(e.mfu)  # cluster-size bucket applied per row


def test_grid_marks_rows_that_do_not_fit():
    grid = evaluate_grid({"method": "full", "model": "llama-2-70b", "tokens": "1M", "gpu": "t4", "seq_len": 65536},
                         {"gpus": [1, 32], "method": ["full", "lora"]}, load_catalog())
    assert not grid["fits"].any() and grid["cost_usd"].isna().all()
    assert grid["error"].str.contains("does not fit").all()


def test_grid_rows_adopt_the_setting_a_single_estimate_adopts():
    grid = evaluate_grid({"method": "full", "model": "llama-2-70b", "tokens": "1M", "gpu": "a100-80gb"},
                         {"gpus": [1, 32]}, load_catalog())
    single = estimator.estimate("full", "llama-2-70b", "1M", gpu="a100-80gb", gpus=1)
    assert "does not fit" in single.warnings[0] and "using" in single.warnings[0]
    assert grid.loc[0, "cost_usd"] == pytest.approx(single.cost_usd)


def test_scenario_file_with_grid_and_overrides(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("""defaults: {method: lora, model: llama-3.1-8b, tokens: 50M}
scenarios:
  - {name: "LoRA on rented H100", gpu: h100-sxm, provider: lambda}
  - {name: "LoRA, optimistic", gpu: h100-sxm, provider: lambda, mfu: 0.5}
  - {name: "Hosted API", method: api, model: gpt-4o-mini}
grid:
  gpu: [a100-80gb, h100-sxm]
  provider: [aws, lambda, runpod]
""")
    c = compare(f)
    frame = c.to_frame()
    assert list(frame["name"][:3]) == ["LoRA on rented H100", "LoRA, optimistic", "Hosted API"]
    assert c.estimates[1].mfu == 0.5
    assert len(c.grid) == 6


def test_scenario_file_errors_name_the_line(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("defaults: {method: lora, tokens: 1M}\nscenarios:\n  - {name: a, model: llama-3.1-8b}\n"
                 "  - {name: b, model: llama-9}\n")
    with pytest.raises(estimator.UnknownIdError, match=r"s\.yaml:4: scenario 'b': unknown model 'llama-9'"):
        compare(f)


def test_cli_compare_table_and_json():
    r = CliRunner().invoke(cli, ["compare", "--model", "llama-3.1-8b", "--tokens", "20M"])
    assert r.exit_code == 0, r.output
    assert "Pretrain from scratch (compute-optimal)" in r.output and "× the cost" in r.output
    assert max(len(line) for line in r.output.splitlines()[:8]) <= 100
    r = CliRunner().invoke(cli, ["compare", "--model", "llama-3.1-8b", "--tokens", "20M", "--format", "json"])
    data = json.loads(r.output)
    assert len(data["scenarios"]) >= 10 and isinstance(data["scenarios"][3]["cost_usd"], float)


def test_comparison_carries_percentiles_and_report_draws_whiskers(tmp_path):
    """Issue 5: P10-P90 per scenario in the frame, drawn as error bars on the cost chart."""
    from estimator.present.report import write_report

    c = compare(model="llama-3.1-8b", tokens="20M")
    frame = c.to_frame()
    lora = frame[frame["name"] == "LoRA"].iloc[0]
    assert lora["cost_usd_p10"] < lora["cost_usd"] < lora["cost_usd_p90"]
    html = write_report(c, tmp_path / "r.html", plotlyjs="cdn").read_text(encoding="utf-8")
    assert '"error_x"' in html and "whiskers" in html


def test_grid_row_names_match_their_values():
    g = evaluate_grid({"method": "lora", "model": "llama-3.1-8b", "tokens": "1M"},
                      {"gpu": ["a100-80gb", "h100-sxm"], "provider": ["aws", "lambda"], "gpus": [1, 8]}, load_catalog())
    for row in g.to_dict("records"):
        assert row["name"] == f"grid: gpu={row['gpu']}, provider={row['provider']}, gpus={row['gpus']:g}"


def test_compare_writes_its_table_as_excel_csv_and_json(tmp_path):
    import pandas as pd
    from click.testing import CliRunner

    from estimator.cli import cli

    for name in ("t.xlsx", "t.csv", "t.json"):
        r = CliRunner().invoke(cli, ["compare", "--tokens", "20M", "--output", str(tmp_path / name), "--format", "csv"])
        assert r.exit_code == 0, r.output
    xl = pd.read_excel(tmp_path / "t.xlsx")
    csv = pd.read_csv(tmp_path / "t.csv")
    js = pd.read_json(tmp_path / "t.json")
    assert list(xl["name"]) == list(csv["name"]) == list(js["name"])
    # hour-billed hosted routes have no training cost without --set training_hours=H (NaN in every format)
    assert xl["cost_usd"].tolist() == pytest.approx(csv["cost_usd"].tolist(), nan_ok=True)


def test_grid_headline_breaks_time_ties_by_cost(tmp_path):
    """Issue 11: providers differ only in price, so every row takes the same time; the fastest is the cheapest."""
    f = tmp_path / "g.yaml"
    f.write_text("defaults: {method: lora, model: llama-3.1-8b, tokens: 50M, gpu: h100-sxm}\n"
                 "grid: {provider: [aws, lambda, runpod]}\n", encoding="utf-8")
    c = estimator.compare(scenarios=f, uncertainty=False)
    g = c.grid
    assert g["wall_clock_days"].nunique() == 1 and g["cost_usd"].nunique() >= 2
    fastest = c.headline()["fastest_on_gpus"]
    assert fastest["cost_usd"] == g["cost_usd"].min()
    assert fastest["name"] == g.loc[g["cost_usd"].idxmin(), "name"]


def test_budget_adds_the_plans_route_and_the_report_charts_it():
    """compare(budget=...) = the default routes + estimator.plan's scenario at that budget, resolved like any
    route: its cost is the plan's cost (within the budget) and the report's plan section is at that budget."""
    import estimator
    from estimator.present.report.html import render_report

    c = estimator.compare(model="llama-3.1-8b", tokens="20M", provider="lambda", budget="50k", uncertainty=False)
    p = estimator.plan(budget="50k", gpu="h100-sxm", provider="lambda")
    (route,) = [e for s, e in zip(c.scenarios, c.estimates) if s.name.endswith("(plan)")]
    assert c.plan is not None and c.plan.params == pytest.approx(p.params)
    assert route.values["cost_usd"] == pytest.approx(p.cost_usd, rel=1e-6) and route.values["cost_usd"] <= 50_000
    assert route.values["train_tokens"] == pytest.approx(p.train_tokens, rel=1e-9)
    page = render_report(c, plotlyjs="cdn")
    assert "At the budget of $50.0 k" in page


def test_budget_below_one_gpu_hour_is_one_error():
    import estimator
    from estimator.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="budget"):
        estimator.compare(model="llama-3.1-8b", tokens="20M", provider="lambda", budget="1", uncertainty=False)


@pytest.mark.parametrize("flag,value,needles", [
    ("--gpu", "h100x", ("unknown GPU 'h100x'", "h100-sxm")),
    ("--provider", "lamda", ("unknown provider 'lamda'", "lambda")),
])
def test_misspelt_gpu_or_provider_in_compare_is_one_error(flag, value, needles):
    """A user's --gpu / --provider typo used to leave every own-GPU route out with a note and exit 0."""
    from tests.cli_helpers import one_line, run

    one_line(run("compare", "--model", "llama-3.1-8b", "--tokens", "1M", flag, value), *needles)


def test_compare_notes_the_datasets_broken_lines(tmp_path):
    """A broken JSONL line is skipped by every route; compare says so (file:line), as estimate does."""
    good = '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}'
    f = tmp_path / "chat.jsonl"
    f.write_text("\n".join([good, good, "{bad json", good]) + "\n")
    c = compare(dataset=[str(f)], model="llama-3.1-8b", uncertainty=False)
    found = [n for n in c.notes if n.startswith("dataset findings")]
    assert found and "invalid_json 1" in found[0] and f"{f.name}:3" in found[0]


def test_headline_names_the_lowest_total_with_serving():
    """The cheapest route to train is not the cheapest to own: the headline also names the lowest training +
    serving total, which is the minimum of the TCO column (here a hosted LoRA service beats a $1.89 LoRA run
    whose own-GPU replica rents for ~$26k a year at 10,000 requests/day)."""
    import math

    from estimator.present.tables import headline_lines

    c = compare(model="llama-3.1-8b", tokens="20M", uncertainty=False)
    head = c.headline()
    tcos = [(s.name, row["tco_usd"]) for s, row in zip(c.scenarios, c.serving) if math.isfinite(row["tco_usd"])]
    best = min(tcos, key=lambda t: t[1])
    assert head["lowest_tco"]["name"] == best[0] and head["lowest_tco"]["tco_usd"] == best[1]
    assert head["lowest_tco"]["tco_usd"] == pytest.approx(head["lowest_tco"]["cost_usd"] + head["lowest_tco"]["serving_usd"])
    assert head["lowest_tco"]["name"] != head["cheapest"]["name"]
    lines = headline_lines(head)
    assert any(x.startswith("lowest total over 12 months") for x in lines)
    assert not any(" vs Hosted: " in x for x in lines)  # ratios against hosted services stay in the table


def test_unpriced_serving_cells_are_explained_in_the_notes():
    """A '—' in the serving column says why in the notes: hosted services billed by provisioned throughput with no
    catalog price, and a planned model of a size alone."""
    c = compare(model="llama-3.1-8b", tokens="20M", uncertainty=False, budget="50k")
    said = [n for n in c.notes if n.startswith("serving not priced for ")]
    assert any("bedrock/claude-3-haiku" in n and "provisioned_usd_per_hour" in n for n in said)
    assert any("(plan)" in n and "no architecture" in n for n in said)
    unpriced = [s.name for s, row in zip(c.scenarios, c.serving) if not math.isfinite(row["serving_usd"])]
    assert all(any(name in n for n in said) for name in unpriced)
