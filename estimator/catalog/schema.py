"""Pydantic schemas for every catalog table: what an entry must contain, checked on load."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from estimator.catalog.schema_base import _check_id, _Entry, _Strict
from estimator.choices import ENCODINGS, METHODS


class Tokenizer(_Strict):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True, allow_inf_nan=False)
    encoding: Literal[ENCODINGS]  # type: ignore[valid-type]
    factor: float = Field(1.0, gt=0)
    approximate: bool = False
    note: str | None = None
    hf_repo: str | None = None  # Hugging Face repo whose cached tokenizer.json gives exact counts (estimator.tokens.models)
    file: str | None = None  # a local tokenizer.json for exact counts (e.g. in a user catalog)


class ModelSpec(_Entry):
    id: str
    name: str
    aliases: list[str] = []
    family: str | None = None
    params: float | None = Field(None, gt=0, le=1e15)
    active_params: float | None = Field(None, gt=0, le=1e15)
    pretrain_tokens: float | None = Field(None, gt=0, le=1e16)  # published pre-training token count
    pretrain_tokens_source: str | None = None  # where it is published: paper section/table or model card, the phrase
    layers: int | None = Field(None, gt=0)
    hidden: int | None = Field(None, gt=0)
    heads: int | None = Field(None, gt=0)
    kv_heads: int | None = Field(None, gt=0)
    head_dim: int | None = Field(None, gt=0)
    ffn: int | None = Field(None, gt=0)
    ffn_type: Literal["swiglu", "gelu"] = "swiglu"
    experts: int | None = Field(None, gt=0)
    experts_per_token: int | None = Field(None, gt=0)
    shared_experts: int | None = Field(None, ge=0)
    vocab: int | None = Field(None, gt=0)
    context: int | None = Field(None, gt=0)
    tied_embeddings: bool = False
    tokenizer: Tokenizer | None = None
    chat_template_tokens_per_message: int | None = Field(None, ge=0)
    methods: list[Literal[METHODS]] = list(METHODS[:4])  # type: ignore[valid-type]
    api_only: bool = False
    provider: str | None = None

    _id = field_validator("id")(classmethod(lambda cls, v: _check_id(v)))

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        if self.api_only:
            if self.methods != ["api"]:
                raise ValueError("an api_only model supports methods [api] only")
        elif self.params is None:
            raise ValueError("'params' is required for a model that is not api_only")
        if self.pretrain_tokens is not None and not (self.pretrain_tokens_source or "").strip():
            raise ValueError("'pretrain_tokens' needs 'pretrain_tokens_source' (the paper section/table or model card "
                             "URL and the phrase that states the count)")
        if self.pretrain_tokens_source is not None and self.pretrain_tokens is None:
            raise ValueError("'pretrain_tokens_source' is given without 'pretrain_tokens'")
        if self.active_params and self.params and self.active_params > self.params:
            raise ValueError("'active_params' cannot exceed 'params'")
        if self.hidden and self.heads and not self.head_dim and self.hidden % self.heads:
            raise ValueError(f"hidden {self.hidden} is not divisible by heads {self.heads} (give head_dim if intended)")
        if self.kv_heads and self.heads and self.heads % self.kv_heads:
            raise ValueError(f"heads {self.heads} is not a multiple of kv_heads {self.kv_heads}")
        return self

    @property
    def n_active(self) -> float:
        """Parameters used per token (MoE: active; dense: all)."""
        return float(self.active_params or self.params or 0.0)


class Hardware(_Entry):
    id: str
    name: str
    aliases: list[str] = []
    vendor: str
    generation: str
    memory_gb: float = Field(gt=0)
    bandwidth_tbps: float | None = Field(None, gt=0)
    tdp_w: float | None = Field(None, gt=0)
    peak_tflops: dict[Literal["fp32", "tf32", "bf16", "fp16", "fp8"], Annotated[float, Field(gt=0)] | None]
    interconnect_gbps: float | None = Field(None, gt=0)
    purchase_usd: float | None = Field(None, gt=0)
    # a measured shortfall the speed rules do not model; every estimate on this GPU prints it as a warning
    speed_caveat: str | None = None

    _id = field_validator("id")(classmethod(lambda cls, v: _check_id(v)))

    def peak(self, dtype: str) -> tuple[float, str]:
        """Dense peak TFLOP/s for dtype; bf16 falls back to fp16 on cards without bf16."""
        value = self.peak_tflops.get(dtype)
        if value is None and dtype == "bf16" and self.peak_tflops.get("fp16"):
            return float(self.peak_tflops["fp16"]), "fp16"
        if value is None:
            return float("nan"), dtype
        return float(value), dtype


class GpuPrice(_Entry):
    provider: str
    gpu: str
    tier: Literal["on_demand", "spot", "reserved", "capacity_block"]
    usd_per_gpu_hour: float = Field(gt=0)
    instance: str | None = None
    instance_usd_per_hour: float | None = Field(None, gt=0)
    region: str | None = None


class InferencePrice(_Strict):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)
    input: float | None = Field(None, ge=0)
    cached_input: float | None = Field(None, ge=0)
    output: float | None = Field(None, ge=0)


BILLING = ("per_token", "per_training_hour")
SERVING = ("fine_tuned_price", "base_model_price", "provisioned_throughput")


class ApiPrice(_Entry):
    """One hosted fine-tuning service for one model: how training is billed and how the result is served.

    Keyed by `id` (service id, default 'provider/model'), so one model may have several services
    (e.g. OpenAI SFT, OpenAI DPO, Azure OpenAI). `billing` says which training price applies:
    per_token (training tokens x epochs x USD per 1M) or per_training_hour (wall-clock hours x USD/h).
    """

    id: str | None = None
    model: str
    provider: str
    snapshot: str | None = None
    method: Literal["sft", "dpo", "rft"] = "sft"
    adapter: Literal["lora", "full"] | None = None
    billing: Literal[BILLING] = "per_token"  # type: ignore[valid-type]
    training_usd_per_1m_tokens: float | None = Field(None, gt=0)
    training_usd_per_hour: float | None = Field(None, gt=0)
    min_job_usd: float | None = Field(None, ge=0)
    inference_usd_per_1m_tokens: InferencePrice | None = None
    serving: Literal[SERVING] = "fine_tuned_price"  # type: ignore[valid-type]
    hosting_usd_per_hour: float | None = Field(None, ge=0)
    provisioned_usd_per_hour: float | None = Field(None, gt=0)
    provisioned_tokens_per_minute: float | None = Field(None, gt=0)
    storage_usd_per_month: float | None = Field(None, ge=0)
    max_example_tokens: int | None = Field(None, gt=0)
    availability: str | None = None  # e.g. the service is closed to new users: shown as a warning

    @model_validator(mode="before")
    @classmethod
    def _default_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("id") is None and data.get("provider") and data.get("model"):
            data = {**data, "id": f"{data['provider']}/{data['model']}"}
        return data

    @model_validator(mode="after")
    def _billing_fields(self) -> ApiPrice:
        if self.billing == "per_token" and self.training_usd_per_1m_tokens is None:
            raise ValueError("billing per_token needs 'training_usd_per_1m_tokens'")
        if self.billing == "per_training_hour" and self.training_usd_per_hour is None:
            raise ValueError("billing per_training_hour needs 'training_usd_per_hour'")
        return self


class Capex(_Entry):
    """Purchase price of one GPU as part of a system (server share included when includes_server)."""

    id: str
    gpu: str
    system: str
    usd_per_gpu: float = Field(gt=0, le=1e7)
    gpus_per_system: int = Field(8, gt=0)
    includes_server: bool = True
    default: bool = False

    _id = field_validator("id")(classmethod(lambda cls, v: _check_id(v)))


class ScalingLaw(_Entry):
    """A fitted loss law L(N, D) = E + A / N^alpha + B / D^beta (N parameters, D training tokens)."""

    id: str
    E: float = Field(gt=0)
    A: float = Field(gt=0)
    B: float = Field(gt=0)
    alpha: float = Field(gt=0, lt=2)
    beta: float = Field(gt=0, lt=2)

    _id = field_validator("id")(classmethod(lambda cls, v: _check_id(v)))


class EnergyRegion(_Entry):
    id: str
    default: bool = False
    electricity_usd_per_kwh: float | None = Field(None, gt=0)
    grid_kgco2_per_kwh: float | None = Field(None, ge=0)
    pue: float | None = Field(None, ge=1)


class AssumptionRule(_Strict):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True, allow_inf_nan=False)
    when: dict[str, Any] = {}
    value: float | str
    range: tuple[float, float] | None = None
    source: str = Field(min_length=3)

    @model_validator(mode="after")
    def _range(self) -> AssumptionRule:
        if self.range and not (self.range[0] <= self.range[1]):
            raise ValueError("range must be [low, high] with low <= high")
        return self


class Assumption(_Strict):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)
    unit: str
    description: str
    rules: list[AssumptionRule] = Field(min_length=1)
    as_of: str | None = None
    bounds: tuple[float, float] | None = None  # inclusive [low, high] for numeric values
    choices: list[str] | None = None  # allowed values for a choice
    integer: bool = False

    @model_validator(mode="after")
    def _values_allowed(self) -> Assumption:
        for i, rule in enumerate(self.rules, 1):
            v = rule.value
            if self.choices is not None:
                if str(v) not in self.choices:
                    raise ValueError(f"rule {i}: value {v!r} is not one of {', '.join(self.choices)}")
                continue
            if isinstance(v, str):
                raise ValueError(f"rule {i}: value {v!r} must be a number")
            if self.bounds and not (self.bounds[0] <= v <= self.bounds[1]):
                raise ValueError(f"rule {i}: value {v:g} is outside the allowed range {self.bounds[0]:g}..{self.bounds[1]:g}")
            if self.integer and v != round(v):
                raise ValueError(f"rule {i}: value {v:g} must be a whole number")
            if rule.range and self.bounds and not (self.bounds[0] <= rule.range[0] and rule.range[1] <= self.bounds[1]):
                raise ValueError(f"rule {i}: range {list(rule.range)} is outside the allowed range")
        return self


TABLES: dict[str, type[BaseModel]] = {
    "models": ModelSpec,
    "hardware": Hardware,
    "gpu_prices": GpuPrice,
    "apis": ApiPrice,
    "energy": EnergyRegion,
    "capex": Capex,
    "scaling_laws": ScalingLaw,
}
TOP_KEYS = (*TABLES, "assumptions")


def entry_key(table: str, entry: BaseModel) -> Any:
    """The key an entry is merged and looked up by: (provider, gpu, tier) for prices, else its id."""
    if table == "gpu_prices":
        return (entry.provider, entry.gpu, entry.tier)
    return entry.id


def key_label(key: Any) -> str:
    return "/".join(key) if isinstance(key, tuple) else str(key)
