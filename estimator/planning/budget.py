"""plan(): from a budget, a FLOP count or a deadline to the model size and token count to pretrain.

The compute budget C is the unknown. Candidate budgets (a log-spaced array) go through the scaling rules (N, D, loss
for each C) and then through the ordinary pretraining rules (time, GPUs, cost) in one engine pass; the largest C whose
cost and time stay within the limits wins, refined by a second, finer pass. Nothing here restates a cost formula.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimator.catalog.bounds import check_value
from estimator.catalog.loader import Catalog, load_catalog
from estimator.catalog.schema import ScalingLaw
from estimator.errors import ConfigurationError
from estimator.planning.checks import LARGEST_CLUSTER
from estimator.planning.engine import Evaluation, Given, Step, evaluate
from estimator.planning.estimation import estimate
from estimator.planning.givens import DEFAULT_GPU
from estimator.planning.inputs import checked_overrides, resolve_catalog
from estimator.planning.resolution import resolve
from estimator.planning.rows import Rows
from estimator.planning.scenario import Scenario, positive_number
from estimator.planning.traced import explain_steps, fmt
from estimator.rules import REGISTRY
from estimator.units import parse_duration_hours

LOSS_NOTE = ("predicted_loss is the scaling fit's prediction (nats/token on the fit's own training data), not a "
             "promise about your data, tokenizer or model")
SCALING_TARGETS = ["plan_params", "plan_train_tokens", "plan_tokens_per_param", "predicted_loss", "lifetime_flops"]
COST_TARGETS = ["train_flops", "gpus_to_fit", "gpus", "mfu", "wall_clock_hours", "wall_clock_days", "gpu_hours",
                "price_usd_per_gpu_hour", "cost_usd"]
MAX_GPUS = 10 * LARGEST_CLUSTER  # beyond this, communication limits (not modelled) dominate: no plan
DEFAULT_PLAN_GPUS = 8  # one 8-GPU server (DGX/HGX), the unit the capex table prices
COARSE = np.logspace(15, 29, 14 * 20 + 1)  # 1e15 .. 1e29 FLOPs, 20 points per decade
FINE_POINTS = 41


@dataclass
class Plan:
    """A pretraining plan. Every figure is a rule's output; `steps` hold the trace (--explain)."""

    scaling: str
    gpu: str
    provider: str | None
    params: float
    train_tokens: float
    tokens_per_param: float
    train_flops: float
    predicted_loss: float
    gpus: int
    wall_clock_days: float
    cost_usd: float
    price_usd_per_gpu_hour: float
    inference_tokens: float = 0.0
    lifetime_flops: float = float("nan")
    chinchilla_params: float | None = None  # the same budget with no inference demand
    chinchilla_train_tokens: float | None = None
    budget_usd: float | None = None
    deadline_hours: float | None = None
    breakeven: list[dict[str, Any]] = field(default_factory=list)
    finetune: list[dict[str, Any]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    note: str = LOSS_NOTE

    def to_dict(self) -> dict[str, Any]:
        keys = ("scaling", "gpu", "provider", "params", "train_tokens", "tokens_per_param", "train_flops",
                "predicted_loss", "gpus", "wall_clock_days", "cost_usd", "price_usd_per_gpu_hour", "budget_usd",
                "deadline_hours", "inference_tokens", "lifetime_flops", "chinchilla_params", "chinchilla_train_tokens")
        out = {k: getattr(self, k) for k in keys}
        out["note"] = self.note
        if self.breakeven:
            out["breakeven"] = self.breakeven
        if self.finetune:
            out["finetune"] = self.finetune
        out["warnings"] = list(self.warnings)
        return out

    def explain(self) -> str:
        return explain_steps(f"plan · {self.scaling} fit · {self.gpus} × {self.gpu}", self.steps, self.values,
                             self.warnings)

    def scenario(self) -> dict[str, Any]:
        """The plan as an ordinary scenario (estimate / compare / scenario files)."""
        return {"name": f"Pretrain {fmt(self.params / 1e9)}B on {fmt(self.train_tokens / 1e9)}B tokens (plan)",
                "method": "pretrain", "model": {"params": self.params}, "tokens": self.train_tokens, "epochs": 1,
                "gpu": self.gpu, "gpus": self.gpus, "provider": self.provider}


def load_law(scaling: str | ScalingLaw, cat: Catalog) -> ScalingLaw:
    """A scaling_laws id ('epoch', 'chinchilla') or a YAML file holding one scaling_laws entry."""
    if isinstance(scaling, ScalingLaw):
        return scaling
    text = str(scaling)
    if text.endswith((".yaml", ".yml")) or os.path.sep in text:
        if not os.path.exists(text):
            raise ConfigurationError(f"--scaling {text}: no such file")
        user = load_catalog([text], use_env=False)
        added = [law for key, law in user.scaling_laws.items() if user.origin("scaling_laws", key).startswith(text)]
        if len(added) != 1:
            raise ConfigurationError(f"{text}: expected exactly one 'scaling_laws' entry (id, E, A, B, alpha, beta, "
                                     f"source, as_of), found {len(added)}")
        return added[0]
    return cat.scaling_law(text)


def _law_givens(law: ScalingLaw, cat: Catalog) -> dict[str, Given]:
    src = f"{law.source} (as of {law.as_of}; {cat.origin('scaling_laws', law.id) or 'user file'})"
    return {f"scaling_{k}": Given(getattr(law, k), "", src, "catalog", f"scaling law '{law.id}'.{k}")
            for k in ("E", "A", "B", "alpha", "beta")}


def plan(budget: float | str | None = None, flops: float | str | None = None, deadline: float | str | None = None,
         *, gpu: str | None = None, gpus: int | None = None, provider: str | None = None, tier: str = "on_demand",
         scaling: str | ScalingLaw = "epoch", inference_tokens: float | str | None = None, dataset: Any = None,
         region: str | None = None, overrides: dict[str, Any] | None = None,
         catalog: Catalog | Sequence[str] | str | None = None) -> Plan:
    """Compute-optimal pretraining plan for a dollar budget, a FLOP count or a deadline (see README 'Planning').

    budget: USD ('50k'); flops: training FLOPs ('1e23'); deadline: '30d' (with gpus, or with a budget/flops: the
    fewest GPUs that finish in time). scaling: 'epoch' (Besiroglu et al. 2024, default), 'chinchilla' (Hoffmann et
    al. 2022 approach 3) or a YAML file with one scaling_laws entry. inference_tokens: lifetime inference demand; the
    plan then minimises training + inference compute (Sardana et al. 2024). dataset: also list the fine-tuning
    alternatives on that dataset within the same budget.
    """
    cat = resolve_catalog(catalog)
    if gpus is not None:  # the bounds --gpus obeys in estimate and compare (catalog/bounds.py)
        check_value("gpus", gpus, cat, "")
    budget_usd = positive_number("--budget", budget)
    c_given = positive_number("--flops", flops)
    d_inf = positive_number("--inference-tokens", inference_tokens) if inference_tokens not in (None, 0, "0") else 0.0
    deadline_h = None
    if deadline is not None:
        try:
            deadline_h = parse_duration_hours(deadline)
        except ValueError as exc:
            raise ConfigurationError(f"--deadline: {exc}") from None
        if not np.isfinite(deadline_h) or deadline_h <= 0:
            raise ConfigurationError(f"--deadline must be a positive duration, got {deadline}")
    if budget_usd is None and c_given is None and deadline_h is None:
        raise ConfigurationError("give a budget (--budget 50k), a compute budget (--flops 1e23) or a deadline "
                                 "(--deadline 30d with --gpus)")
    if budget_usd is None and c_given is None and gpus is None:
        raise ConfigurationError("a deadline alone does not bound the compute: add --gpus N (or a --budget)")
    if c_given is not None and budget_usd is not None:
        raise ConfigurationError("give either --budget or --flops, not both")
    law = load_law(scaling, cat)
    overrides = dict(overrides or {})
    checked = checked_overrides(overrides, cat)
    solve_gpus = deadline_h if (c_given is not None or budget_usd is not None) and gpus is None else None
    law_given = _law_givens(law, cat)
    where = f"{cat.gpu(gpu or DEFAULT_GPU).id} ({provider or 'median provider'} {tier})"

    def scaled(c: np.ndarray, inference: float) -> Evaluation:
        given = dict(law_given)
        given["compute_budget_flops"] = Given(c, "FLOP", "compute budget (candidates)" if np.ndim(c) else "input",
                                              "input", "C")
        given["inference_tokens"] = Given(inference, "tokens", "input (--inference-tokens)", "input", "D_inf")
        return evaluate(REGISTRY, SCALING_TARGETS, given, {}, {})

    def run(c: np.ndarray, inference: float) -> dict[str, np.ndarray]:
        """Each candidate budget as an ordinary pretraining scenario, all resolved in one pass."""
        ev = scaled(c, inference)
        n = np.atleast_1d(np.asarray(ev.values["plan_params"], dtype=float))
        d = np.atleast_1d(np.asarray(ev.values["plan_train_tokens"], dtype=float))

        def resolve_rows(gpu_counts):
            scenarios = [Scenario(method="pretrain", model={"params": float(n_k)}, tokens=float(d_k), epochs=1,
                                  gpu=gpu, gpus=g_k, deadline_hours=solve_gpus, provider=provider, tier=tier,
                                  region=region, overrides=overrides) for n_k, d_k, g_k in zip(n, d, gpu_counts)]
            res = resolve(Rows.from_scenarios(scenarios, [checked] * len(scenarios)), cat)
            failed = [e for e in res.errors if e is not None]
            if len(failed) == len(scenarios):
                raise failed[0]
            return res

        if gpus is not None or solve_gpus is not None:
            res = resolve_rows([gpus] * len(n))
        else:  # one 8-GPU server, or the fewest that fit when more are needed
            fit = resolve_rows([None] * len(n)).column("gpus_to_fit")
            counts = [int(max(DEFAULT_PLAN_GPUS, f)) if np.isfinite(f) else None for f in fit]
            res = resolve_rows(counts)
        out = {k: res.column(k) for k in COST_TARGETS}
        out |= {k: np.broadcast_to(np.asarray(ev.values[k], dtype=float), n.shape) for k in SCALING_TARGETS}
        return out

    if c_given is not None:
        chosen = c_given
    else:
        chosen = _solve(run, d_inf, budget_usd, deadline_h if gpus is not None else None, where)
    v = {k: float(x[0]) for k, x in run(np.asarray([chosen]), d_inf).items()}
    if not np.isfinite(v["gpus"]) or v["gpus"] > MAX_GPUS:
        raise ConfigurationError(f"no count of {cat.gpu(gpu or DEFAULT_GPU).id} finishes {chosen:.3g} FLOPs within "
                                 f"{fmt(deadline_h)} h: it would take {fmt(v['gpus'])} GPUs, over {MAX_GPUS:,} (10x the "
                                 f"largest published run, where communication limits this model ignores dominate)")
    if budget_usd is not None and v["cost_usd"] > budget_usd * (1 + 1e-6):
        raise ConfigurationError(f"the budget ${budget_usd:,.0f} buys no pretraining run on {where}")
    # the chosen plan as an ordinary estimate: its trace is the one --explain prints
    e = estimate(method="pretrain", model={"params": v["plan_params"]}, tokens=v["plan_train_tokens"], epochs=1,
                 gpu=gpu, gpus=int(v["gpus"]), provider=provider, tier=tier, region=region, overrides=overrides,
                 catalog=cat)
    scaling_ev = scaled(np.asarray(chosen), d_inf)
    chin = None
    if d_inf > 0:  # the same budget with no inference demand: what `estimator plan` without the flag gives
        plain = c_given if c_given is not None else _solve(run, 0.0, budget_usd, deadline_h if gpus is not None
                                                           else None, where)
        zero = scaled(np.asarray(plain), 0.0).values
        chin = (float(zero["plan_params"]), float(zero["plan_train_tokens"]))
    values = {k: (np.asarray(x).reshape(-1)[0].item() if np.size(x) == 1 else x)
              for k, x in {**e.values, **scaling_ev.values}.items()}
    warnings = [w for w in e.warnings if not w.startswith(("model shape not given", "vocab not given", "token budget"))]
    warnings += _warnings(v, law)
    result = Plan(scaling=law.id, gpu=e.gpu_id, provider=provider, params=v["plan_params"],
                  train_tokens=v["plan_train_tokens"], tokens_per_param=v["plan_tokens_per_param"],
                  train_flops=float(e.values["train_flops"]), predicted_loss=v["predicted_loss"],
                  gpus=int(e.values["gpus"]), wall_clock_days=float(e.values["wall_clock_days"]),
                  cost_usd=float(e.cost_usd), price_usd_per_gpu_hour=float(e.values["price_usd_per_gpu_hour"]),
                  inference_tokens=d_inf, lifetime_flops=v["lifetime_flops"],
                  chinchilla_params=chin[0] if chin else None, chinchilla_train_tokens=chin[1] if chin else None,
                  budget_usd=budget_usd, deadline_hours=deadline_h,
                  steps=scaling_ev.trace_for(SCALING_TARGETS) + list(e.steps), values=values, warnings=warnings)
    result.breakeven = _breakeven(cat, e.gpu_id, region, overrides,
                                  only=None if (provider or "owned").lower() == "owned" else (provider, tier))
    if dataset:
        from estimator.planning.alternatives import finetune_alternatives

        result.finetune = finetune_alternatives(dataset, budget_usd if budget_usd is not None else result.cost_usd,
                                                gpu=e.gpu_id, provider=provider, tier=tier, region=region,
                                                catalog=cat)
    return result


def _solve(run, d_inf: float, budget_usd: float | None, deadline_h: float | None, where: str) -> float:
    """Largest candidate compute budget within the dollar budget and the deadline (coarse pass, then fine)."""
    v = run(COARSE, d_inf)
    ok = _feasible(v, budget_usd, deadline_h, len(COARSE))
    price = float(np.nanmin(np.atleast_1d(v["price_usd_per_gpu_hour"])))
    if budget_usd is not None and budget_usd < price:
        raise ConfigurationError(f"budget ${budget_usd:,.2f} is below the cost of one GPU-hour of {where}: "
                                 f"${price:,.2f}")
    if not ok.any():
        gpus = np.atleast_1d(v["gpus"])
        if deadline_h is not None:
            raise ConfigurationError(f"no model can be pretrained on {fmt(gpus[0])} × {where} within "
                                     f"{fmt(deadline_h)} h")
        raise ConfigurationError(f"the budget ${budget_usd:,.0f} buys no pretraining run on {where}: even the "
                                 f"smallest candidate needs {fmt(np.nanmin(np.atleast_1d(v['cost_usd'])))} USD "
                                 f"on {fmt(np.nanmin(gpus))} GPUs")
    i = int(np.nonzero(ok)[0].max())
    if i == len(COARSE) - 1:
        raise ConfigurationError("the limits allow more than 1e29 FLOPs: beyond any published scaling fit")
    fine = np.logspace(np.log10(COARSE[i]), np.log10(COARSE[i + 1]), FINE_POINTS)
    v = run(fine, d_inf)
    ok = _feasible(v, budget_usd, deadline_h, len(fine))
    return float(fine[int(np.nonzero(ok)[0].max())])


def _feasible(v: dict[str, Any], budget_usd: float | None, deadline_h: float | None, n: int) -> np.ndarray:
    def col(k):
        return np.broadcast_to(np.asarray(v[k], dtype=float), (n,))

    ok = (np.isfinite(col("gpus")) & (col("gpus") <= MAX_GPUS) & (col("gpus") >= col("gpus_to_fit"))
          & np.isfinite(col("cost_usd")))
    if budget_usd is not None:
        ok &= col("cost_usd") <= budget_usd
    if deadline_h is not None:
        ok &= col("wall_clock_hours") <= deadline_h * (1 + 1e-9)
    return ok


def _warnings(v: dict[str, Any], law: ScalingLaw) -> list[str]:
    out = []
    if v["plan_params"] < 5e7:
        out.append(f"{v['plan_params']:.3g} parameters is below the smallest models the {law.id} fit was made on "
                   "(~70M, Hoffmann et al. 2022): the loss is an extrapolation")
    if v["wall_clock_days"] > 365:
        out.append(f"wall clock {v['wall_clock_days']:,.0f} days on {v['gpus']:.0f} GPUs: add GPUs (--gpus) or a "
                   "--deadline")
    return out


def _breakeven(cat: Catalog, gpu: str, region: str | None, overrides: dict[str, Any],
               only: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    from estimator.planning.ownership import rent_vs_buy

    if cat.capex_for(gpu) is None and "purchase_usd_per_gpu" not in overrides:
        return []
    rows = rent_vs_buy(gpu, cat, region=region, overrides=overrides).rows
    if only is not None and only[0].lower() != "owned":
        rows = [r for r in rows if r["provider"] == only[0].lower() and r["tier"] == only[1]]
    return rows
