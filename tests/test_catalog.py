"""The bundled catalog: coverage, provenance, lookups, user files, validation messages."""

import pytest

from estimator.catalog.loader import load_catalog, validate_file
from estimator.errors import CatalogError, UnknownIdError

REQUIRED_MODELS = """llama-2-7b llama-2-13b llama-2-70b llama-3.1-8b llama-3.1-70b llama-3.1-405b llama-3.2-1b
llama-3.2-3b mistral-7b mixtral-8x7b qwen2.5-0.5b qwen2.5-1.5b qwen2.5-7b qwen2.5-14b qwen2.5-32b qwen2.5-72b
gemma-2-2b gemma-2-9b gemma-2-27b phi-3-mini pythia-160m pythia-1b pythia-6.9b pythia-12b gpt-2 gpt-2-xl olmo-7b
falcon-7b deepseek-v3 gpt-4o-mini gpt-4o gpt-4.1 gpt-4.1-mini gpt-4.1-nano gpt-3.5-turbo""".split()
REQUIRED_GPUS = "v100-32gb t4 a10g l4 l40s a100-40gb a100-80gb h100-sxm h100-pcie h200 b200 mi300x tpu-v5e tpu-v5p".split()
REQUIRED_PROVIDERS = "aws gcp azure lambda coreweave runpod".split()


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def test_required_entries_present(cat):
    assert set(REQUIRED_MODELS) <= set(cat.models)
    assert len(cat.models) >= 30
    assert set(REQUIRED_GPUS) <= set(cat.hardware)
    assert set(REQUIRED_PROVIDERS) <= set(cat.providers())
    openai = [m for m in REQUIRED_MODELS if m.startswith("gpt-") and m not in ("gpt-2", "gpt-2-xl")]
    assert set(openai) <= set(cat.api_models())


def test_every_entry_has_source_and_as_of(cat):
    for table in ("models", "hardware", "gpu_prices", "apis", "energy"):
        for key, entry in getattr(cat, table).items():
            assert entry.source and entry.as_of, f"{table} {key}"
    for name, table in cat.assumptions.items():
        assert all(r.source for r in table.rules), name


def test_moe_models_have_active_params(cat):
    mixtral = cat.model("mixtral-8x7b")
    assert mixtral.active_params < mixtral.params
    assert 12e9 < mixtral.active_params < 14e9  # Jiang et al. 2024: 13B active of 47B
    assert cat.model("deepseek-v3").active_params == pytest.approx(37e9, rel=0.03)


def test_dense_peaks_are_not_sparse(cat):
    """NVIDIA H100 SXM datasheet: 1,979 TFLOP/s bf16 *with sparsity*; dense is 989."""
    assert cat.gpu("h100-sxm").peak_tflops["bf16"] == pytest.approx(989, rel=0.01)
    assert cat.gpu("a100-80gb").peak_tflops["bf16"] == 312


@pytest.mark.parametrize("wanted, expected", [("Llama-2-7B", "llama-2-7b"), ("LLAMA_3.1_8B", "llama-3.1-8b"),
                                               ("meta-llama/Llama-2-7b-hf", "llama-2-7b"),
                                               ("gpt-4o-mini-2024-07-18", "gpt-4o-mini")])
def test_model_lookup_accepts_case_and_aliases(cat, wanted, expected):
    assert cat.model(wanted).id == expected


def test_gpu_aliases(cat):
    assert cat.gpu("H100").id == "h100-sxm"
    assert cat.gpu("A100-80GB").id == "a100-80gb"


def test_unknown_id_suggests_close_matches(cat):
    with pytest.raises(UnknownIdError) as info:
        cat.model("llama-2-7")
    assert "llama-2-7b" in str(info.value)
    with pytest.raises(UnknownIdError, match="h100"):
        cat.gpu("h10-sxm")


def test_user_catalog_overrides_price_and_adds_model(tmp_path, monkeypatch):
    f = tmp_path / "mine.yaml"
    f.write_text("""gpu_prices:
  - {provider: lambda, gpu: h100-sxm, tier: on_demand, usd_per_gpu_hour: 1.5, source: "our contract", as_of: 2026-11-01}
models:
  - {id: our-3b, name: Our 3B, params: 3.0e9, layers: 26, hidden: 3072, heads: 24, vocab: 32000, context: 4096,
     source: "internal config", as_of: 2026-10}
""")
    cat = load_catalog([f])
    assert cat.gpu_prices[("lambda", "h100-sxm", "on_demand")].usd_per_gpu_hour == 1.5
    assert cat.model("our-3b").params == 3e9
    monkeypatch.setenv("ESTIMATOR_CATALOG", str(f))
    assert "our-3b" in load_catalog().models
    assert "our-3b" not in load_catalog(use_env=False).models


def test_validate_reports_every_problem_with_line_and_field(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("""hardware:
  - id: my-gpu
    name: Mine
    vendor: nvidia
    generation: hopper
    memory_gb: -80
    peak_tflops: {bf16: 900}
    source: "x sheet"
    as_of: 2026-01
gpu_prices:
  - provider: acme
    gpu: h100-sxn
    tier: on_demand
    usd_per_gpu_hour: 2
    source: "acme page"
    as_of: 2026-01
    colour: red
  - {provider: acme, gpu: h100-sxn, tier: spot, usd_per_gpu_hour: 1, source: "acme page", as_of: 2026-01}
""")
    problems = validate_file(f)
    text = "\n".join(problems)
    assert f"{f}:6: hardware 'my-gpu', field 'memory_gb'" in text
    assert f"{f}:17: gpu_prices 'acme/h100-sxn/on_demand', field 'colour'" in text
    assert f"{f}:18: gpu_prices 'acme/h100-sxn/spot', field 'gpu': unknown GPU id 'h100-sxn'; did you mean h100-sxm" in text
    assert len(problems) == 3


def test_malformed_yaml_names_file_and_line(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("models:\n  - id: x\n    name: [unclosed\n")
    with pytest.raises(CatalogError, match=r"broken\.yaml:\d+: invalid YAML"):
        load_catalog([f])


def test_unknown_table_suggests(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text("hardwares: []\n")
    with pytest.raises(CatalogError, match="did you mean hardware"):
        load_catalog([f])


# Published pre-training token counts (issue 11: scratch is compared "at compute-optimal or published token counts").
@pytest.mark.parametrize("model, tokens", [
    ("llama-1-7b", 1.0e12), ("llama-1-65b", 1.4e12),  # Touvron et al. 2023a Table 2
    ("llama-2-70b", 2.0e12),  # Touvron et al. 2023b Table 1
    ("llama-3.1-8b", 15e12),  # Llama 3.1 model card: '15T+'
    ("llama-3.1-405b", 15.6e12),  # Dubey et al. 2024 sec. 3: '405B parameters on 15.6T tokens'
    ("gemma-2-27b", 13e12), ("gemma-2-2b", 2e12),  # Gemma 2 model card / report sec. 3.1
    ("pythia-1b", 299_892_736_000),  # EleutherAI/pythia README: 'Each model saw 299,892,736,000'
    ("gpt-3-175b", 300e9),  # Brown et al. 2020 Table 2.1 caption
    ("deepseek-v3", 14.8e12),  # DeepSeek-V3 report abstract
])
def test_published_pretrain_tokens(cat, model, tokens):
    m = cat.model(model)
    assert m.pretrain_tokens == tokens and m.pretrain_tokens_source


def test_unpublished_pretrain_tokens_are_left_empty(cat):
    """Mistral AI has not published the token counts: no figure is guessed, and the notes say so."""
    for model in ("mistral-7b", "mixtral-8x7b"):
        m = cat.model(model)
        assert m.pretrain_tokens is None and "not published the pre-training token count" in m.notes


def test_every_published_token_count_names_a_primary_source(cat):
    for m in cat.models.values():
        if m.pretrain_tokens is not None:
            assert any(k in m.pretrain_tokens_source for k in ("arXiv:", "https://")), m.id
            assert "'" in m.pretrain_tokens_source, m.id  # the phrase that states it, quoted


@pytest.mark.parametrize("fields, message", [
    ("pretrain_tokens: 2.0e12", "'pretrain_tokens' needs 'pretrain_tokens_source'"),
    ('pretrain_tokens: 2.0e12, pretrain_tokens_source: "  "', "'pretrain_tokens' needs 'pretrain_tokens_source'"),
    ('pretrain_tokens_source: "our report"', "'pretrain_tokens_source' is given without 'pretrain_tokens'"),
    ('pretrain_tokens: 0, pretrain_tokens_source: "our report"', "pretrain_tokens"),
])
def test_pretrain_tokens_need_a_source(tmp_path, fields, message):
    f = tmp_path / "mine.yaml"
    f.write_text("models:\n  - {id: our-3b, name: Our 3B, params: 3.0e9, layers: 26, hidden: 3072, heads: 24, "
                 f"vocab: 32000, context: 4096, {fields}, source: \"internal config\", as_of: 2026-10}}\n")
    problems = "\n".join(validate_file(f))
    assert message in problems and "our-3b" in problems
