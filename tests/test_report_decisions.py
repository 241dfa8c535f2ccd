"""The report's decision sections (issue 11): plan (loss vs model size), rent vs buy, serving vs traffic. Each chart's
marked figure must be the figure the CLI reports for the same inputs: `estimator plan`'s N, the ownership rule's
break-even months, the break-even traffic `estimator compare` prints."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from estimator.catalog.loader import load_catalog
from estimator.planning.budget import plan
from estimator.planning.comparison import compare
from estimator.planning.curves import loss_curve, ownership_curves, serving_curves
from estimator.planning.ownership import rent_vs_buy
from estimator.present.report import render_report
from estimator.present.report.sections import ownership_section, plan_section, serving_section
from tests.report_helpers import section

# Besiroglu, Erdil, Barnett, You 2024 (arXiv 2404.10102), the Epoch AI refit of Chinchilla approach 3:
# L(N, D) = E + A/N^α + B/D^β with E 1.8172, A 482.01, B 2085.43, α 0.3478, β 0.3658
E, A, B, ALPHA, BETA = 1.8172, 482.01, 2085.43, 0.3478, 0.3658
CHINCHILLA_FLOPS = 5.76e23  # Hoffmann et al. 2022: Chinchilla, 70B parameters on 1.4T tokens


@pytest.fixture(scope="module")
def served():
    """The main job's shape: the default routes for llama-3.1-8b, served at 10,000 requests/day for 12 months."""
    return compare(model="llama-3.1-8b", tokens="20M", uncertainty=False, requests_per_day="10k")


@pytest.fixture(scope="module")
def page(served) -> str:
    return render_report(served, plotlyjs="cdn")


def figure(text: str, div: str) -> dict:
    m = re.search(rf'<script type="application/json" class="plotly-figure" data-div="{div}">(.*?)</script>', text, re.S)
    assert m, f"no figure {div}"
    return json.loads(m.group(1))


# ---- plan ----------------------------------------------------------------------------------------------------------
def test_loss_curve_optimum_and_points_match_the_paper_fit_by_hand():
    """At Chinchilla's compute the Epoch fit's optimum is N = G·(C/6)^(β/(α+β)), G = (αA/(βB))^(1/(α+β))
    (Hoffmann et al. 2022 app. D.2): 72.2B parameters on 1.33T tokens, 18.4 tokens per parameter (Besiroglu et al.
    report ~20, in line with Chinchilla's 70B on 1.4T); any other size at the same compute predicts a higher loss."""
    c = loss_curve(CHINCHILLA_FLOPS, marks={"10B": 1e10})
    g = (ALPHA * A / (BETA * B)) ** (1 / (ALPHA + BETA))
    n_opt = g * (CHINCHILLA_FLOPS / 6) ** (BETA / (ALPHA + BETA))
    opt = c.marks.iloc[0]
    assert opt["label"] == "compute-optimal"
    assert opt["params"] == pytest.approx(n_opt, rel=1e-9) == pytest.approx(72.25e9, rel=1e-3)
    assert opt["tokens_per_param"] == pytest.approx(18.39, abs=0.01)
    d = CHINCHILLA_FLOPS / 6e10  # 10B parameters: D = C / (6N) = 9.6T tokens
    ten = c.marks.iloc[1]
    assert ten["train_tokens"] == pytest.approx(d, rel=1e-12)
    assert ten["predicted_loss"] == pytest.approx(E + A / 1e10 ** ALPHA + B / d ** BETA, rel=1e-12) == \
        pytest.approx(2.0147, abs=1e-4)
    assert (c.frame["predicted_loss"] >= opt["predicted_loss"] - 1e-12).all()
    assert np.allclose(6 * c.frame["params"] * c.frame["train_tokens"], CHINCHILLA_FLOPS)


def test_marked_optimum_equals_estimator_plan_for_the_same_budget(served):
    p = plan(budget="50k", gpu="h100-sxm", provider="lambda")
    c = loss_curve(p.values["compute_budget_flops"], scaling=p.scaling)
    assert c.marks.iloc[0]["params"] == pytest.approx(p.params, rel=1e-12)
    assert c.marks.iloc[0]["train_tokens"] == pytest.approx(p.train_tokens, rel=1e-12)
    assert c.marks.iloc[0]["predicted_loss"] == pytest.approx(p.predicted_loss, rel=1e-12)
    # a comparison that carries the plan: the report's star sits at the plan's N and loss
    served.plan = p
    try:
        s = plan_section(served, served.catalog)
        page = render_report(served, plotlyjs="cdn")
    finally:
        served.plan = None
    assert "At the budget of $50.0 k" in s["basis"] and "No budget" not in s["basis"]
    star = next(t for t in figure(page, "chart-plan")["data"] if t.get("name") == "compute-optimal")
    assert star["x"][0] == pytest.approx(p.params, rel=1e-12) and star["y"][0] == pytest.approx(p.predicted_loss)


def test_without_a_budget_the_plan_uses_the_compute_optimal_route_and_says_so(served, page):
    s = plan_section(served, served.catalog)
    route = next(e for sc, e in zip(served.scenarios, served.estimates)
                 if sc.name == "Pretrain from scratch (compute-optimal)")
    assert s["curves"].values["compute_flops"] == route.values["train_flops"]
    assert "No budget was given" in s["basis"] and "Pretrain from scratch (compute-optimal)" in s["basis"]
    mark = s["curves"].marks.set_index("label").loc["Pretrain from scratch (compute-optimal)"]
    assert mark["params"] == route.values["n_params"]
    assert mark["train_tokens"] == pytest.approx(route.values["train_tokens"], rel=1e-9)  # D = C/(6N) is its own D
    text = section(page, "plan")
    assert "No budget was given" in text and 'id="chart-plan"' in text
    ticks = figure(page, "chart-plan")["layout"]["xaxis"]["ticktext"]
    assert ticks == ["1B", "10B", "100B"]


def test_no_pretraining_route_means_no_plan_section(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("defaults: {method: lora, model: llama-3.1-8b, tokens: 20M}\nscenarios:\n  - {name: a}\n",
                    encoding="utf-8")
    c = compare(scenarios=spec, uncertainty=False)
    assert plan_section(c, c.catalog) is None
    assert '<section id="plan">' not in render_report(c, plotlyjs="cdn")


# ---- rent vs buy ---------------------------------------------------------------------------------------------------
def test_break_even_month_in_the_chart_equals_the_ownership_rule():
    cat = load_catalog()
    c = ownership_curves("h100-sxm", cat, provider="lambda", tier="on_demand")
    table = rent_vs_buy("h100-sxm", cat)
    by_row = {(r["provider"], r["tier"]): r for r in table.rows}
    lam = c.marks.set_index("line").loc["rent: lambda on-demand"]
    assert lam["breakeven_months"] == by_row[("lambda", "on_demand")]["breakeven_months"]
    assert lam["breakeven_months"] == pytest.approx(18.558, abs=1e-3)  # as `compare --provider owned` prints it
    # at the break-even, owning and renting cost the same: rental × 730.5 h × utilisation × months
    util = float(table.values["owned_utilization"])
    assert lam["usd_per_gpu"] == pytest.approx(2.99 * 8766 / 12 * util * lam["breakeven_months"], rel=1e-9)
    # owning starts at the cluster cost; each rental line at $0
    own = c.frame[c.frame["provider"] == "owned"]
    assert own["usd_per_gpu"].iloc[0] == pytest.approx(table.cluster_usd_per_gpu, rel=1e-12)
    assert (c.frame[c.frame["provider"] != "owned"].groupby("line")["usd_per_gpu"].first() == 0).all()
    # the median lines price as an estimate does: the median of that tier's listed prices
    on_demand = [p.usd_per_gpu_hour for p in cat.prices_for("h100-sxm", "on_demand")]
    median = c.marks.set_index("line").loc["rent: on-demand median"]
    assert median["rental_usd_per_gpu_hour"] == pytest.approx(float(np.median(on_demand)))


def test_rent_vs_buy_section_marks_each_break_even_and_lists_every_rental(served, page):
    s = ownership_section(served, served.catalog)
    rows = rent_vs_buy("h100-sxm", served.catalog).rows
    assert len(s["rows"]) == len(rows)
    text = section(page, "ownership")
    for r in rows:
        assert f"<td>{r['provider']} {r['tier'].replace('_', '-')}</td>" in text
        assert f"{r['breakeven_months']:,.1f} months" in text
    marks = [t for t in figure(page, "chart-ownership")["data"] if t.get("name", "").startswith("break-even vs")]
    expected = s["curves"].marks["breakeven_months"]
    assert sorted(t["x"][0] for t in marks) == pytest.approx(sorted(expected[np.isfinite(expected)]))


# ---- serving -------------------------------------------------------------------------------------------------------
def test_serving_break_even_equals_the_one_compare_reports(served):
    c = serving_curves(served.scenarios, served.estimates, served.traffic, served.catalog)
    fw = c.marks.set_index("service").loc["fireworks/llama-3.1-8b"]
    note = next(n for n in served.notes if n.startswith("self-hosting") and "fireworks/llama-3.1-8b" in n)
    assert f"above {fw['requests_per_day']:,.0f} requests/day" in note
    # on the chart: just below the break-even the hosted service is cheaper, at it own GPUs are no dearer
    lines = {k: v.set_index("requests_per_day")["usd_per_month"] for k, v in c.frame.groupby("line")}
    own = lines[fw["versus"]]
    hosted = lines["hosted: fireworks/llama-3.1-8b"]
    r = fw["requests_per_day"]
    assert own[r] <= hosted[r] + 1e-9 and fw["usd_per_month"] == hosted[r]
    below = max(x for x in hosted.index if x < r)
    assert hosted[below] < own[below]


def test_serving_curves_at_the_comparisons_traffic_equal_compares_serving_rows(served):
    c = serving_curves(served.scenarios, served.estimates, served.traffic, served.catalog)
    at = c.frame[c.frame["requests_per_day"] == 10_000]
    by_route = {}
    for row in at.to_dict("records"):
        for name in row["routes"].split(", "):
            by_route[name] = row["usd_per_month"]
    months = served.traffic.months
    priced = 0
    for s, row in zip(served.scenarios, served.serving):
        if math.isfinite(row["serving_usd"]):
            assert by_route[s.name] * months == pytest.approx(row["serving_usd"], rel=1e-9), s.name
            priced += 1
    # the five own-GPU routes (two scratch, three fine-tuning; one serving setup) and seven priced services:
    # together LoRA, fireworks, OpenAI, OpenAI RFT, Vertex, Mistral (per token) and Azure RFT (per token + hosting
    # hours); together full and Bedrock have no serving price in the catalog
    assert priced == 12 and len(at) == 8
    assert any("no serving price" in n for n in c.notes)


def test_serving_section_has_the_chart_with_count_and_dollar_ticks(page):
    text = section(page, "serving")
    assert 'id="chart-serving"' in text and "Monthly serving cost against traffic" in text
    fig = figure(page, "chart-serving")
    assert fig["layout"]["xaxis"]["ticktext"][:4] == ["10", "100", "1k", "10k"]
    for t in fig["layout"]["yaxis"]["ticktext"]:
        assert re.fullmatch(r"\$[\d.]+[kMB]?", t), t
    assert any(t["name"].startswith("break-even: fireworks/llama-3.1-8b vs own GPUs at 206,700") for t in fig["data"])


def test_no_traffic_costs_no_serving():
    """--requests-per-day 0: no serving cost, no TCO table and no serving section (an idle replica's rent against
    hosted routes' $0 would be a meaningless TCO); the notes say how to give the traffic."""
    c = compare(model="llama-3.1-8b", tokens="20M", uncertainty=False, requests_per_day=0)
    assert c.serving is None and serving_section(c, c.catalog) is None
    assert any(n.startswith("serving not costed") for n in c.notes)


# ---- defects from the new user's review ----------------------------------------------------------------------------
def test_hosted_price_sentences_name_the_service_not_just_the_model(served):
    from estimator.present.report.facts import key_assumptions

    hosted = [a for a in key_assumptions(served) if a.startswith("Hosted fine-tuning (")]
    services = [a.split("(")[1].split(")")[0] for a in hosted]
    assert len(services) == len(set(services)) >= 4
    assert "together/llama-3.1-8b-lora" in services and "fireworks/llama-3.1-8b" in services


def test_default_main_job_report_is_about_2_mb(tmp_path):
    """`estimator compare` (no arguments) writes one offline file: 5.07 MB with plotly.js verbatim before issue 11."""
    from click.testing import CliRunner

    from estimator.cli import cli

    path = tmp_path / "comparison.html"
    result = CliRunner().invoke(cli, ["compare", "--report", str(path)])
    assert result.exit_code == 0, result.output
    size = path.stat().st_size
    assert 1_500_000 < size < 2_500_000, size
    text = path.read_text(encoding="utf-8")
    for sec in ("summary", "scenarios", "charts", "serving", "ownership", "plan", "assumptions", "method"):
        assert f'<section id="{sec}">' in text


def test_tokens_per_parameter_sentence_follows_the_run_not_a_fixed_20(tmp_path):
    """Issue 11: the report said 'about 20 per parameter' whatever the run. In the default routes --set epochs=3
    no longer reaches pretraining (it stays at 20 per parameter); a scenario file's pretraining run of 3 passes
    over the compute-optimal tokens trains on 60 per parameter, and the sentence says so."""
    from estimator.present.report.facts import key_assumptions

    def sentence(c):
        return next(a for a in key_assumptions(c) if a.startswith("Pretraining from scratch"))

    plain = compare(model="llama-3.1-8b", tokens="20M", uncertainty=False)
    tripled = compare(model="llama-3.1-8b", tokens="20M", uncertainty=False, overrides={"epochs": 3})
    # llama-3.1-8b: 8.03B parameters × 20 tokens (Hoffmann et al. 2022) = 161 billion tokens; × 3 epochs = 482 billion
    assert sentence(plain) == ("Pretraining from scratch uses 161 billion tokens, the compute-optimal 20 per parameter "
                               "(Hoffmann et al. 2022).")
    assert sentence(tripled) == sentence(plain)
    f = tmp_path / "s.yaml"
    f.write_text("scenarios:\n  - {name: scratch x3, method: pretrain, model: llama-3.1-8b, tokens: 160605224960,"
                 " epochs: 3, gpu: h100-sxm, gpus: 512}\n")
    three = compare(str(f), uncertainty=False)
    assert sentence(three).startswith("Pretraining from scratch uses 482 billion tokens, 3× the compute-optimal 20")


def test_hour_billed_services_are_described_by_their_hourly_price(served):
    """OpenAI/Azure RFT bill $100 per training hour (pricing/apis.yaml); the key assumptions used to read
    '$0.00 per million training tokens, billed per pass' for them."""
    from estimator.present.report.facts import key_assumptions

    rft = [a for a in key_assumptions(served) if "o4-mini-rft" in a]
    assert len(rft) == 2 and all("$100.00 per training hour" in a and "training_hours" in a for a in rft)
    assert not any("rft" in a and "per million training tokens" in a for a in key_assumptions(served))


def test_dataset_chart_of_a_scaled_dataset_adds_up_to_its_examples():
    """--examples 50k: the title says 50 thousand examples, so the bars add up to 50,000 (227 counted × 220.3),
    not to the 227 counted."""
    from estimator.examples import example_dataset
    from estimator.present.report.dataset_chart import token_histogram

    c = compare(dataset=[str(example_dataset())], model="llama-3.1-8b", examples="50k", uncertainty=False)
    fig = token_histogram(c.profile)
    assert sum(fig.data[0].y) == pytest.approx(50_000, rel=1e-9)
