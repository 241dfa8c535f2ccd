"""Hosted fine-tuning services beyond OpenAI: billing per token, per training hour, minimum fees; serving bills."""

from __future__ import annotations

import pytest

import estimator
from estimator.rules.api_billing import api_fixed_serving_usd_per_month, api_token_serving_usd_per_month


@pytest.fixture(scope="module")
def cat():
    return estimator.load_catalog()


def test_apis_are_keyed_by_service_and_api_for_keeps_working(cat):
    assert "openai/gpt-4o-mini" in cat.apis and cat.api_for("gpt-4o-mini").id == "openai/gpt-4o-mini"
    providers = {a.provider for a in cat.apis.values()}
    assert {"openai", "azure", "google-vertex", "aws-bedrock", "together", "fireworks", "mistral"} <= providers
    assert {a.id for a in cat.apis_for("llama-3.1-8b")} >= {"together/llama-3.1-8b-lora", "fireworks/llama-3.1-8b"}
    for api in cat.apis.values():
        assert api.source and api.as_of


def test_per_token_service_by_id():
    """Together AI: tokens × epochs × rate; 1M tokens × 3 epochs × $0.48/1M (SFT LoRA up to 16B) = $1.44."""
    e = estimator.estimate(method="api", model="together/llama-3.1-8b-lora", tokens=1e6, epochs=3)
    assert e.cost_usd == pytest.approx(1.44)


def test_reinforcement_fine_tuning_bills_training_hours():
    """OpenAI help center 11323177: RFT $100 per hour of core training time; 2.5 h = $250."""
    e = estimator.estimate(method="api", model="openai/o4-mini-rft", tokens=1e6, epochs=1,
                           overrides={"training_hours": 2.5})
    assert e.cost_usd == pytest.approx(250.0)
    e = estimator.estimate(method="api", model="openai/o4-mini-rft", tokens=1e6, epochs=1)
    assert any("training_hours" in w for w in e.warnings)


def test_mistral_minimum_fee_per_job():
    """docs.mistral.ai: every fine-tuning job has a minimum fee of $4 (10k tokens × 1 epoch × $2/1M = $0.02)."""
    e = estimator.estimate(method="api", model="mistral/mistral-7b", tokens=1e4, epochs=1)
    assert e.cost_usd == pytest.approx(4.0)


def test_azure_hosting_example():
    """Azure OpenAI cost guide, o4-mini: 20M input × $1.10 + 40M output × $4.40 = $198 of tokens; hosting $1.70/h
    (the guide multiplies by 720 h; our month is 730.5 h = 8766 / 12)."""
    tokens = api_token_serving_usd_per_month("fine_tuned_price", 20e6, 40e6, 1.10, 4.40)
    assert tokens == pytest.approx(198.0)
    assert api_fixed_serving_usd_per_month(1.70, 0.0, 1.0, 0.0) == pytest.approx(1.70 * 730.5)


def test_provisioned_serving_charges_no_tokens():
    assert api_token_serving_usd_per_month("provisioned_throughput", 1e9, 1e9, 1.0, 1.0) == 0.0
    assert api_fixed_serving_usd_per_month(0.0, 20.0, 2.0, 1.95) == pytest.approx(20 * 2 * 730.5 + 1.95)


def test_compare_with_a_dataset_shows_hosted_services_with_training_serving_and_source(tmp_path):
    """Issue 11: at least four hosted fine-tuning services beside the GPU routes, each with training and 12-month
    serving cost and a source."""
    import json

    f = tmp_path / "chat.jsonl"
    f.write_text("\n".join(json.dumps({"messages": [{"role": "user", "content": f"question {i} " * 30},
                                                     {"role": "assistant", "content": f"answer {i} " * 60}]})
                           for i in range(200)) + "\n")
    c = estimator.compare(dataset=str(f), model="llama-3.1-8b", uncertainty=False)
    frame = c.to_frame()
    hosted = frame[frame["method"] == "api"]
    complete = hosted[hosted["cost_usd"].notna() & hosted["serving_usd"].notna() & hosted["source"].astype(bool)]
    assert len(complete) >= 4 and len({s.split("/")[0] for s in complete["service"]}) >= 4
    assert {"full", "lora", "qlora"} <= set(frame["method"])
    assert (hosted["epochs"] == 3).all() and frame.loc[frame["method"] == "lora", "epochs"].item() == 3
    mistral = frame[frame["service"] == "mistral/mistral-7b"].iloc[0]
    # the default, stated traffic: 10,000 requests/day of 1,000 input + 1,000 output tokens, 365.25/12 days a month:
    # 304.375 M input + 304.375 M output tokens at $0.25 + $0.25 per 1M, plus $2 storage a month (pricing/apis.yaml)
    assert mistral["serving_usd"] == pytest.approx(12 * (304.375 * 0.25 + 304.375 * 0.25 + 2.00))
    assert any("10,000 requests/day" in n and "illustrative default" in n for n in c.notes)
    lora = frame[frame["method"] == "lora"].iloc[0]
    assert lora["tco_usd"] == pytest.approx(lora["cost_usd"] + lora["serving_usd"])


def test_examples_scales_the_dataset_like_a_sample():
    """--examples 50k: the bundled example stands for 50,000 examples of the same lengths. Each route counts it
    with its own model's tokenizer (gpt-4o-mini: o200k_base, exact; the LoRA route: llama-3.1-8b's), so a route's
    tokens per epoch are 50,000 / counted examples × the tokens counted with that route's tokenizer."""
    from estimator.examples import example_dataset
    from estimator.planning.dataset_tokens import tokenizer_settings
    from estimator.tokens import count_tokens

    cat = estimator.load_catalog()

    def counted(model, method):
        spec = cat.model(model)
        s, _ = tokenizer_settings(spec, method)
        return count_tokens([str(example_dataset())], encoding=s["encoding"], factor=s["factor"],
                            approximate=s["approximate"], chat_format=s["chat_format"], context=spec.context)

    c = estimator.compare(dataset=[str(example_dataset())], model="llama-3.1-8b", examples="50k", uncertainty=False)
    api = next(e for e in c.estimates if e.method == "api" and e.scenario.model == "openai/gpt-4o-mini")
    mini = counted("gpt-4o-mini", "api")
    assert mini.to_dict()["encoding"] == "o200k_base" and not mini.to_dict()["approximate"]
    assert api.values["billed_tokens_per_epoch"] == pytest.approx(mini.total_tokens * 50_000 / mini.examples, rel=1e-6)
    assert not any("approximate" in w for w in api.warnings)  # exact: OpenAI's own encoding is bundled
    lora = next(e for e in c.estimates if e.method == "lora")
    llama = counted("llama-3.1-8b", "lora")
    scaled = lora.profile.sample["estimates"]["total_tokens"]["estimate"]
    assert scaled == pytest.approx(llama.total_tokens * 50_000 / llama.examples, rel=1e-6)
    assert any("scaled to 50,000 examples" in n for n in c.notes)


@pytest.fixture(scope="module")
def traffic_comparison(tmp_path_factory):
    import json

    f = tmp_path_factory.mktemp("hosted") / "chat.jsonl"
    f.write_text("\n".join(json.dumps({"messages": [{"role": "user", "content": f"question {i} " * 30},
                                                     {"role": "assistant", "content": f"answer {i} " * 60}]})
                           for i in range(200)) + "\n")
    return estimator.compare(dataset=str(f), model="llama-3.1-8b", uncertainty=False, requests_per_day="10k")


def test_with_traffic_four_hosted_services_have_a_priced_12_month_serving_cost(traffic_comparison):
    """Issue 11 at a real traffic (10k requests/day of 1,000 + 1,000 tokens): every per-token price must be in the
    catalog, so >= 4 providers have training, a positive serving cost and a source. Together LoRA at its base price
    ($0.18 + $0.18 per 1M, second-hand): 10,000 × 30.4375 days × 12 × (1,000 × 0.18 + 1,000 × 0.18) / 1e6 = $1,314.90."""
    frame = traffic_comparison.to_frame()
    hosted = frame[frame["method"] == "api"]
    complete = hosted[hosted["cost_usd"].notna() & (hosted["serving_usd"] > 0) & hosted["source"].astype(bool)]
    assert len({s.split("/")[0] for s in complete["service"]}) >= 4
    together = frame[frame["service"] == "together/llama-3.1-8b-lora"].iloc[0]
    assert together["serving_usd"] == pytest.approx(10_000 * 365.25 / 12 * 12 * (1000 * 0.18 + 1000 * 0.18) / 1e6)


def test_azure_route_serving_includes_the_hosting_fee_and_training_needs_hours(traffic_comparison):
    """Azure OpenAI cost guide: a deployed fine-tuned model pays $1.70/h hosting plus tokens at the base rate (o4-mini
    $1.10 in / $4.40 out per 1M). 12 months: 1.70 × 730.5 × 12 = $14,902.20 hosting + 10,000 × 30.4375 × 12 ×
    (1,000 × 1.10 + 1,000 × 4.40) / 1e6 = $20,088.75 tokens = $34,990.95. Training is billed per hour ($100/h): NaN
    until the hours are given, and a note says so."""
    frame = traffic_comparison.to_frame()
    azure = frame[frame["service"] == "azure/o4-mini-rft"].iloc[0]
    assert azure["serving_usd"] == pytest.approx(1.70 * 730.5 * 12 + 10_000 * 30.4375 * 12 * 5500 / 1e6)
    assert azure["serving_usd"] == pytest.approx(34_990.95)
    assert pd_isnan(azure["cost_usd"]) and pd_isnan(azure["tco_usd"])
    assert "openai/o4-mini-rft" in set(frame["service"])
    assert any("azure/o4-mini-rft ($100/h)" in n and "--set training_hours=H" in n for n in traffic_comparison.notes)
    assert all("nan" not in str(r.get("cost_ratio")) for r in traffic_comparison.headline()["ratios"])


def pd_isnan(x) -> bool:
    import math

    return x is None or (isinstance(x, float) and math.isnan(x))


def test_hour_billed_routes_take_the_given_training_hours():
    """--set training_hours=2 prices both RFT routes at 2 h × $100/h = $200, and the note says the hours were given."""
    c = estimator.compare(tokens="1M", model="llama-3.1-8b", uncertainty=False, overrides={"training_hours": 2})
    frame = c.to_frame()
    for sid in ("azure/o4-mini-rft", "openai/o4-mini-rft"):
        assert frame[frame["service"] == sid].iloc[0]["cost_usd"] == pytest.approx(200.0)
    assert any("training_hours=2" in n for n in c.notes)
    assert frame.loc[frame["method"] == "lora", "cost_usd"].notna().all()  # GPU routes ignore the hours


def test_dpo_is_billed_per_training_token_at_the_snapshots_training_price(cat):
    """OpenAI help center 11323177: preference (DPO) fine-tuning is billed by the tokens in the training file; the
    pricing page's gpt-4.1-mini training price is $5.00/1M: 1M tokens × 3 epochs × $5 = $15."""
    api = cat.service("openai/gpt-4.1-mini-dpo")
    assert api.method == "dpo" and api.billing == "per_token" and api.source and api.as_of
    e = estimator.estimate(method="api", model="openai/gpt-4.1-mini-dpo", tokens=1e6, epochs=3)
    assert e.cost_usd == pytest.approx(15.0)
    assert cat.api_for("gpt-4.1-mini").id == "openai/gpt-4.1-mini"  # the default stays supervised


def test_api_only_model_compares_its_sft_and_dpo_routes():
    c = estimator.compare(tokens="1M", model="gpt-4.1-mini", uncertainty=False)
    names = [s.name for s in c.scenarios]
    assert names == ["Hosted: openai/gpt-4.1-mini", "Hosted: openai/gpt-4.1-mini-dpo"]


def test_default_routes_leave_out_dpo_and_include_hour_billed_services(cat):
    from estimator.planning.routes import hosted_routes

    routes = hosted_routes("llama-3.1-8b", cat)
    assert not any(cat.apis[r].method == "dpo" for r in routes)
    assert {"azure/o4-mini-rft", "openai/o4-mini-rft", "vertex/gemini-2.5-flash"} <= set(routes)


def test_compare_with_traffic_no_serving_setup_carries_is_one_line():
    """Issue 11 bad input: 1e13 requests/day × 1,000 output tokens = 1.16e11 tokens/s, beyond 100,000 GPUs. A model
    that does not fit the GPU at all (405B on L4) is a route note instead, not an error for the whole comparison."""
    from cli_helpers import one_line, run

    one_line(run("compare", "--tokens", "1M", "--requests-per-day", "1e13"), "--requests-per-day",
             "beyond any serving setup")
    c = estimator.compare(tokens="1M", model="llama-3.1-405b", gpu="l4", uncertainty=False, requests_per_day=10)
    assert any(r["serving_basis"].startswith("not servable") for r in c.serving)
