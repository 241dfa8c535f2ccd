"""Estimate: the values of one run, with units, the trace of rules behind them, and warnings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimator.planning.engine import Step
from estimator.planning.scenario import Scenario
from estimator.planning.traced import fmt
from estimator.units import co2, hours, usd, with_unit

# Keys of to_dict(), in order (units in Estimate.units).
HEADLINE = ["train_flops", "gpus", "memory_per_gpu_gb", "tokens_per_gpu_second", "wall_clock_hours", "gpu_hours",
            "cost_usd", "energy_kwh", "co2_kg"]


@dataclass
class Estimate:
    """Named values with units, the trace of rules that produced them, and warnings."""

    scenario: Scenario
    model_id: str
    gpu_id: str | None
    values: dict[str, Any]
    units: dict[str, str]
    steps: list[Step]
    warnings: list[str] = field(default_factory=list)
    uncertainty: dict[str, Any] | None = None
    profile: Any = None  # DatasetProfile when tokens came from a dataset
    catalog: Any = None  # the Catalog this estimate was computed with (renderers take prices and sources from it)
    adopted: dict[str, Any] = field(default_factory=dict)  # settings taken so that the run fits (see warnings)

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    @property
    def method(self) -> str:
        return self.scenario.method

    @property
    def cost_usd(self) -> float:
        return self.values.get("cost_usd", float("nan"))

    def to_dict(self) -> dict[str, Any]:
        """Flat record: scenario, headline quantities (raw numbers), warnings."""
        out: dict[str, Any] = {
            "name": self.scenario.name,
            "method": self.method,
            "model": self.model_id,
            "gpu": self.gpu_id,
            "provider": self.scenario.provider,
            "tier": self.scenario.tier if self.method != "api" else None,
        }
        for key in ("tokens", "epochs", "train_tokens", *HEADLINE, "gpu_days", "wall_clock_days", "hardware_flops",
                    "mfu", "steady_state_hours", "goodput", "price_usd_per_gpu_hour", "trainable_params", "billed_tokens",
                    "training_usd_per_1m_tokens", "compute_optimal_tokens", "tokens_vs_optimal"):
            if key in self.values and (self.method == "pretrain" or key not in ("compute_optimal_tokens",
                                                                                 "tokens_vs_optimal")):
                out[key] = self.values[key]
        for key in HEADLINE:
            out.setdefault(key, None)
        for key, spread in (self.uncertainty or {}).items():
            if isinstance(spread, dict) and "p50" in spread:
                for q in ("p10", "p50", "p90"):
                    out[f"{key}_{q}"] = spread[q]
        out = {k: _tidy(v) for k, v in out.items()}
        out["warnings"] = list(self.warnings)
        return out

    def to_frame(self):
        """One-row pandas DataFrame of to_dict() (warnings joined)."""
        import pandas as pd

        row = self.to_dict()
        row["warnings"] = "; ".join(row["warnings"])
        return pd.DataFrame([row])

    def memory_breakdown_gb(self) -> dict[str, float]:
        """Per-GPU memory by component (GB, 2^30 bytes) after ZeRO sharding, and the usable capacity."""
        if self.method == "api":
            return {}
        from estimator.rules.memory import GIB, states_per_gpu

        v = self.values
        states = states_per_gpu(v["zero_stage"], v["weight_bytes"], v["gradient_bytes"], v["optimizer_bytes"], v["gpus"])
        out = {name: float(b) / GIB for name, b in states.items()}
        out["activations"] = v["activation_bytes"] / GIB
        out["usable"] = v["usable_bytes_per_gpu"] / GIB
        out["capacity"] = v["gpu_memory_gb"]
        return out

    def trace_frame(self):
        """The trace as a DataFrame: quantity, value, unit, kind, formula, inputs, source."""
        import pandas as pd

        return pd.DataFrame([{
            "quantity": s.name, "value": s.value, "unit": s.unit, "kind": s.kind, "formula": s.formula,
            "inputs": ", ".join(s.inputs), "source": s.source} for s in self.steps])

    def __repr__(self) -> str:
        return f"Estimate({self.method}, {self.model_id}, cost_usd={self.cost_usd:.4g})"

    def explain(self) -> str:
        """Every step, dependencies first: value, unit, formula or table row, and source."""
        from estimator.planning.traced import explain_steps  # the same text for plans, serving and rent-vs-buy

        title = f"{self.method} · {self.model_id}" + (f" · {self.values.get('gpus', '?'):.0f} × {self.gpu_id}"
                                                       if self.gpu_id else "")
        return explain_steps(title, self.steps, self.values, self.warnings)

    def summary(self) -> list[tuple[str, str]]:
        """Human-readable headline rows (for the terminal)."""
        v = self.values
        rows = [("method", self.method), ("model", self.model_id)]
        if self.method == "api":
            rows += [("billed tokens", with_unit(v["billed_tokens"], "tokens")), ("epochs", fmt(v["epochs"])),
                     ("price / 1M training tokens", usd(v["training_usd_per_1m_tokens"])), ("cost", usd(v["cost_usd"]))]
            return rows
        u = self.uncertainty or {}

        def spread(key: str, fmt) -> str:
            if key not in u:
                return fmt(v[key])
            q = u[key]  # the estimate itself, then the range: a P50 beside other point values would not add up
            return f"{fmt(v[key])} (P10 {fmt(q['p10'])} – P90 {fmt(q['p90'])})"

        rows += [("GPU", f"{v['gpus']:.0f} × {self.gpu_id}"), ("training tokens", with_unit(v["train_tokens"], "tokens")),
                 ("train FLOPs", with_unit(v["train_flops"], "FLOP")), ("memory per GPU", _memory_text(v)),
                 ("MFU", f"{v['mfu']:.3f}"),
                 ("throughput", f"{v['tokens_per_gpu_second']:,.0f} tokens/GPU/s (steady state; goodput "
                                f"{v['goodput']:.0%})"),
                 ("wall clock", spread("wall_clock_hours", hours)),
                 ("GPU-hours", spread("gpu_hours", lambda x: with_unit(x, "GPU-h"))),
                 ("price", usd(v["price_usd_per_gpu_hour"]) + " / GPU-h"), ("cost", spread("cost_usd", usd)),
                 ("energy", with_unit(v["energy_kwh"] * 1000, "Wh")), ("CO2", co2(v["co2_kg"]))]
        if u:
            rows.append(("ranges", f"P10 – P90 from {u['samples']:,} Monte Carlo draws over: "
                                   + ", ".join(u["ranges"])))
        return rows


def _memory_text(v: dict[str, Any]) -> str:
    """What must fit (tensors + CUDA context) and what nvidia-smi would show (the allocator also caches freed
    blocks, up to the card): '61.9 GB needed (nvidia-smi: 80.0 GB)'."""
    need, shown = v.get("memory_required_gb"), v["memory_per_gpu_gb"]
    if need is None or not math.isfinite(need) or abs(shown - need) < 0.05:
        return f"{shown:.1f} GB"
    return f"{need:.1f} GB needed (nvidia-smi: {shown:.1f} GB, allocator cache included)"


def _tidy(value: Any) -> Any:
    """Raw numbers without float noise (0.8999999999999999 -> 0.9); whole counts as int."""
    if isinstance(value, np.ndarray) and value.ndim == 0:  # a rule's np.where on scalars returns a 0-d array
        value = value.item()
    if isinstance(value, (float, np.floating)) and math.isfinite(value):
        value = float(f"{float(value):.12g}")
    return value
