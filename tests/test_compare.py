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
    # the scratch run on 20M tokens is left out (far below compute-optimal); the compute-optimal and as-published
    # (15T tokens, catalog pretrain_tokens) scratch routes come first; hosted services follow the GPU routes
    assert list(frame["method"])[:6] == ["pretrain", "pretrain", "full", "lora", "qlora", "api"]
    assert set(frame["method"][5:]) == {"api"} and len(frame) >= 10
    assert frame.loc[0, "train_tokens"] == pytest.approx(20 * load_catalog().model("llama-3.1-8b").params)
    assert frame.loc[0, "wall_clock_days"] <= 30  # deadline for pretraining routes
    assert {"cost_usd", "gpu_hours", "wall_clock_days", "memory_per_gpu_gb"} <= set(frame.columns)
    head = c.headline()
    assert head["cheapest"]["name"] in {"LoRA", "QLoRA", "Full fine-tuning"}
    scratch_vs_lora = next(r for r in head["ratios"] if r["fine_tuning"] == "LoRA" and "optimal" in r["scratch"])
    assert scratch_vs_lora["cost_ratio"] == pytest.approx(frame.loc[0, "cost_usd"] / frame.loc[3, "cost_usd"])


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
    over = [s.name for s, e in zip(c.scenarios, c.estimates) if e.cost_usd > 50_000]
    assert over and any(n == "over the $50.0 k budget: " + ", ".join(over) for n in c.notes)
    # the plan's model, given by its size alone, trains at the same seq_len as the other pretraining routes (4,096,
    # Llama 2's pretraining context); a model that states no context is not capped at GPT-3's 2,048
    pretrain = [e for s, e in zip(c.scenarios, c.estimates) if e.method == "pretrain"]
    assert {e.values["seq_len"] for e in pretrain} == {4096}


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


# Issue 11: pretraining from scratch is compared "at compute-optimal or published token counts". llama-3.1-8b was
# pre-trained on 15T tokens (Llama 3.1 model card: '15T+'), ~93× the compute-optimal 20 × 8.03B = 161B.
PUBLISHED_8B = "Pretrain from scratch (as published: 15T tokens)"


@pytest.fixture(scope="module")
def published():
    return compare(model="llama-3.1-8b", tokens="20M", uncertainty=False, requests_per_day=0)


def test_as_published_route_trains_on_the_catalog_token_count(published):
    frame = published.to_frame().set_index("name")
    row = frame.loc[PUBLISHED_8B]
    assert row["method"] == "pretrain" and row["train_tokens"] == 15e12
    # 6 N D = 6 × 8,030,261,248 × 15e12 = 7.2272e23 FLOPs (Kaplan et al. 2020 / Hoffmann et al. 2022)
    assert row["train_flops"] == pytest.approx(6 * 8_030_261_248 * 15e12, rel=1e-9)
    assert row["train_flops"] == pytest.approx(7.2272351232e23, rel=1e-9)
    # the compute-optimal route is kept: 20 tokens per parameter = 160.6B tokens
    assert frame.loc["Pretrain from scratch (compute-optimal)", "train_tokens"] == pytest.approx(20 * 8_030_261_248)


def test_as_published_route_costs_what_estimate_prices_at_that_count(published):
    """Same deadline and GPU treatment as the compute-optimal route: estimate(method='pretrain', tokens=15T,
    deadline='30d') on the default GPU gives the same cost, GPU count and days."""
    row = published.to_frame().set_index("name").loc[PUBLISHED_8B]
    e = estimator.estimate(method="pretrain", model="llama-3.1-8b", tokens=15e12, gpu="h100-sxm", deadline="30d",
                           uncertainty=False)
    assert row["cost_usd"] == pytest.approx(e.cost_usd, rel=1e-9)
    assert row["gpus"] == e.values["gpus"] and row["wall_clock_days"] <= 30
    assert row["gpus"] % 8 == 0  # whole 8-GPU servers beyond one
    # ~$2.3M: a hundred times the compute-optimal route (15T / 160.6B = 93.4× the tokens)
    optimal = published.to_frame().set_index("name").loc["Pretrain from scratch (compute-optimal)", "cost_usd"]
    assert 50 < row["cost_usd"] / optimal < 150


def test_as_published_route_note_cites_its_source(published):
    note = next(n for n in published.notes if n.startswith(PUBLISHED_8B + ":"))
    assert "llama-models/blob/main/models/llama3_1/MODEL_CARD.md" in note and "'15T+'" in note
    assert "what rebuilding the released model costs" in note


def test_headline_compares_fine_tuning_with_the_as_published_route(published):
    from estimator.present.report.facts import summary
    from estimator.present.tables import headline_lines

    lines = headline_lines(published.headline())
    ratios = [x for x in lines if " vs " in x]
    assert all(x.startswith(PUBLISHED_8B) for x in ratios[:3])
    assert ratios[0].startswith(PUBLISHED_8B + " vs Full fine-tuning")
    # the compute-optimal route once, against the cheapest own-GPU route, saying what it is
    assert ratios[-1].startswith("Pretrain from scratch (compute-optimal) vs ") and "fewer tokens" in ratios[-1]
    s = summary(published)
    assert {r["scratch"] for r in s.ratios} == {PUBLISHED_8B}
    assert any(a.startswith(f"“{PUBLISHED_8B}” uses the 15 trillion tokens") and "rebuilding" in a for a in s.assumptions)


def test_ratio_words_round_ratios_over_a_million():
    from estimator.present.tables import ratio_words

    assert ratio_words(1_211_032.8) == "1.21 million×"
    assert ratio_words(11_364.2) == "11,364×" and ratio_words(2.5) == "2.5×"


def test_no_as_published_route_without_a_published_count():
    """mistral-7b: Mistral AI has not published its token count: compute-optimal only, as before."""
    c = compare(model="mistral-7b", tokens="20M", uncertainty=False, requests_per_day=0)
    names = [s.name for s in c.scenarios]
    assert "Pretrain from scratch (compute-optimal)" in names and not any("as published" in n for n in names)


def test_as_published_count_under_half_compute_optimal_is_said_not_dropped_silently():
    """GPT-3 175B: 300B tokens (Brown et al. 2020) = 0.086× the compute-optimal 20 × 175B = 3.5T; compare leaves out
    scratch runs under half the compute-optimal count, so the route is not shown and the note says how to price it."""
    c = compare(model="gpt-3-175b", tokens="20M", uncertainty=False, requests_per_day=0)
    assert not any("as published" in s.name for s in c.scenarios)
    note = next(n for n in c.notes if n.startswith("Pretrain from scratch (as published: 300B tokens): not shown"))
    assert "0.086×" in note and "--tokens 300B" in note


def test_set_epochs_never_multiplies_the_pretraining_routes():
    """Issue 11: fine-tuning routes share one epoch count; pretraining routes never take it, not even via --set."""
    plain = compare(model="llama-3.1-8b", tokens="20M", uncertainty=False)
    more = compare(model="llama-3.1-8b", tokens="20M", uncertainty=False, overrides={"epochs": 5})
    for a, b in zip(plain.estimates, more.estimates):
        if a.method == "pretrain":
            assert b.values["train_tokens"] == a.values["train_tokens"]
        elif a.method == "lora":
            assert b.values["train_tokens"] == pytest.approx(a.values["train_tokens"] * 5 / 3)


def test_grid_rows_flag_idle_gpus_like_the_single_estimate():
    """A grid row carries the same 'fewer sequences than GPUs' check the single estimate warns about, and compare
    says how many rows have it: 1M tokens is 488 sequences of 2,048, so 512 GPUs are flagged and 8 are not."""
    g = evaluate_grid({"method": "lora", "model": "llama-3.1-8b", "tokens": "1M", "gpu": "h100-sxm", "epochs": 1,
                       "overrides": {"seq_len": 2048}}, {"gpus": [8, 512]}, load_catalog())
    flagged = dict(zip(g["gpus"], g["warnings"]))
    assert not isinstance(flagged[8], str) and "fewer training sequences than GPUs" in flagged[512]
    single = estimator.estimate("lora", "llama-3.1-8b", "1M", gpu="h100-sxm", gpus=512, epochs=1,
                                overrides={"seq_len": 2048})
    assert any("488 sequences of 2048 tokens for 512 GPUs" in w for w in single.warnings)


def test_published_route_cites_the_published_runs_gpu_hours():
    """Meta's model card reports 1.46M H100 GPU-hours for Llama 3.1 8B (the validation case); the as-published route's
    note sets it beside the estimate instead of leaving a reader to find the gap."""
    c = compare(model="llama-3.1-8b", tokens="20M", uncertainty=False)
    note = next(n for n in c.notes if n.startswith("Pretrain from scratch (as published"))
    assert "reported 1,460,000 h100-sxm GPU-hours" in note and "estimator validate" in note


def test_scenario_file_dataset_paths_are_relative_to_the_file(tmp_path, monkeypatch):
    """`dataset: data/chat.jsonl` in sub/s.yaml names sub/data/chat.jsonl, wherever compare is run from."""
    import shutil

    from estimator.examples import example_dataset

    (tmp_path / "sub" / "data").mkdir(parents=True)
    shutil.copy(example_dataset(), tmp_path / "sub" / "data" / "chat.jsonl")
    (tmp_path / "sub" / "s.yaml").write_text(
        "defaults: {method: lora, model: llama-3.1-8b, dataset: data/chat.jsonl, gpu: h100-sxm}\n"
        "scenarios:\n  - {name: here}\n")
    monkeypatch.chdir(tmp_path)
    c = compare("sub/s.yaml", uncertainty=False)
    assert c.estimates[0].profile.examples == 227


def test_lowest_total_says_when_it_is_a_different_model():
    """Comparing 70B routes, a hosted 7B service can have the lowest total: the headline says it is another model."""
    from estimator.present.tables import headline_lines

    c = compare(model="llama-3.1-70b", tokens="50M", uncertainty=False, requests_per_day="100k")
    t = c.headline()["lowest_tco"]
    line = next(x for x in headline_lines(c.headline()) if x.startswith("lowest total"))
    assert t["other_model"] == (t["model"] != "llama-3.1-70b")
    assert ("a different model" in line) == t["other_model"]
