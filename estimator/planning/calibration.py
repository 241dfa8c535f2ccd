"""Fit the utilisation tables and score them with leave-one-family-out cross-validation.

    python -m estimator.planning.calibration      # prints the fitted table values and the CV figures

Every observation (a published run's GPU-hours, a benchmark's MFU, a fine-tune's tokens/s) is first
recomputed by the rules with the current tables. The utilisation rule is a product of factors, so
log(MFU) is linear in the fitted parameters (log of each base and factor, and the size and scale
exponents): the fit is a weighted ridge least squares on log(observed / predicted utilisation), and
leaving a family out means refitting without its rows and predicting them. Nothing is re-evaluated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from estimator.catalog.loader import Catalog, load_catalog
from estimator.catalog.yamlio import load_yaml
from estimator.planning.estimation import checked_overrides
from estimator.planning.grid import scenario_from
from estimator.planning.resolution import resolve
from estimator.planning.rows import Rows

GENERATIONS = ("ampere", "hopper", "ada")
# parameter -> (prior value in the fitted scale, prior weight in observations, source of the prior)
PRIORS: dict[str, tuple[float, float, str]] = {
    "mfu_base": (math.log(0.45), 0.05, "weak prior: 0.45"),
    **{f"generation:{g}": (0.0, 2.0, "generations differ little unless the data say so (hierarchical prior)")
       for g in GENERATIONS},
    "size_exponent": (0.0, 0.05, "weak prior: no size effect"),
    "scale_exponent": (0.0, 0.05, "weak prior: no scale effect"),
    "method_efficiency:lora": (0.0, 0.05, "weak prior: as full fine-tuning"),
    "method_efficiency:qlora": (0.0, 0.05, "weak prior: as full fine-tuning"),
    "precision_efficiency:fp8": (math.log(0.5), 0.05, "weak prior: FP8 no faster than bf16"),
    "architecture_efficiency:moe": (math.log(0.5), 1.0, "DeepSeek-V3 report sec. 3.2.1: cross-node expert "
                                    "parallelism has a computation-to-communication ratio of about 1:1"),
    "stack_efficiency:hf": (0.0, 0.5, "prior: as the fused-kernel stacks (torchtune, NeMo), held at half an "
                            "observation's weight"),
    "architecture_efficiency:hybrid": (0.0, 1.0, "prior: as a dense transformer (the table's assumption before any "
                                       "hybrid run), held as firmly as the MoE prior"),
}
PARAMS = tuple(PRIORS)
# The shipped P10-P90 (on GPU-hours, wall clock and cost) comes from the held-out residuals of whole runs' GPU-hours:
# steady-state measurements (benchmarks, fine-tuning tokens/s) are tighter and would narrow it.
SPREAD_KINDS = ("gpu_hours",)
FITTED_KINDS = ("gpu_hours", "benchmark_mfu", "tokens_per_gpu_second")
CHECKED = "checked_tokens_per_gpu_second"  # fine-tuning throughput cases marked `fitted: false`: predicted, never fitted
TARGETS = ["mfu", "tokens_per_gpu_second", "gpu_hours", "steady_state_hours", "gpus", "mfu_base", "size_exponent",
           "scale_exponent", "size_knee_params", "scale_reference_gpus", "method_efficiency", "precision_efficiency",
           "architecture_efficiency", "gpu_generation", "n_active", "method", "dtype", "architecture",
           "stack", "stack_efficiency",
           "model_family", "train_flops_per_token", "peak_flops_per_gpu", "attention_overhead", "layers", "hidden",
           "seq_len", "offload_efficiency"]


@dataclass
class Observation:
    id: str
    family: str
    kind: str  # gpu_hours | benchmark_mfu | tokens_per_gpu_second | checked_tokens_per_gpu_second
    reported: float
    predicted: float
    x: np.ndarray  # d log(utilisation) / d parameter
    theta: np.ndarray  # current parameter values (fitted scale)
    source: str = ""
    note: str = ""

    @property
    def y(self) -> float:
        """log(observed / predicted utilisation) with the current tables."""
        ratio = self.predicted / self.reported if self.kind == "gpu_hours" else self.reported / self.predicted
        return math.log(ratio)

    def refit(self, delta_log_util: float) -> float:
        """The prediction when the fitted utilisation changes by exp(delta_log_util)."""
        return self.predicted * (math.exp(-delta_log_util) if self.kind == "gpu_hours" else math.exp(delta_log_util))


def validation_yaml(name: str) -> dict[str, Any]:
    text = (resources.files("estimator.data.validation") / name).read_text(encoding="utf-8")
    data, _ = load_yaml(f"estimator/data/validation/{name}", text)
    return data


# the fitted factor tables and the choice each is keyed by (their rows read `when: {<choice>: ...}`)
FACTORS = (("method_efficiency", "method"), ("precision_efficiency", "dtype"),
           ("architecture_efficiency", "architecture"), ("stack_efficiency", "stack"))


def factor_keys(cat: Catalog) -> dict[str, dict[str, str]]:
    """table -> {choice: parameter key}: the choices one table row covers share its parameter, named after the first
    (stack_efficiency's [hf, axolotl] row -> 'hf'), so a fitted factor follows the table, not a second list here."""
    out: dict[str, dict[str, str]] = {}
    for table, choice in FACTORS:
        keys = out.setdefault(table, {})
        for rule in cat.assumption(table).rules:
            listed = (rule.when or {}).get(choice)
            values = [listed] if isinstance(listed, str) else list(listed or [])
            for value in values:
                keys.setdefault(str(value), str(values[0]))
    return out


def features(v: dict[str, Any], keys: dict[str, dict[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """(x, θ): the log-linear features of one evaluated scenario and the parameter values it used; `keys` from
    factor_keys."""
    x, theta = np.zeros(len(PARAMS)), np.zeros(len(PARAMS))
    idx = {p: i for i, p in enumerate(PARAMS)}
    gen = str(v["gpu_generation"])
    x[idx["mfu_base"]], theta[idx["mfu_base"]] = 1.0, math.log(float(v["mfu_base"]))
    if gen in GENERATIONS:  # the row's value = common base × generation factor
        x[idx[f"generation:{gen}"]] = 1.0
    x[idx["size_exponent"]] = math.log(min(1.0, float(v["n_active"]) / float(v["size_knee_params"])))
    theta[idx["size_exponent"]] = float(v["size_exponent"])
    x[idx["scale_exponent"]] = -math.log(max(float(v["gpus"]), float(v["scale_reference_gpus"]))
                                         / float(v["scale_reference_gpus"]))
    theta[idx["scale_exponent"]] = float(v["scale_exponent"])
    for name, choice in FACTORS:
        value = str(v[choice])
        p = f"{name}:{keys[name].get(value, value)}"
        if p in idx:
            x[idx[p]], theta[idx[p]] = 1.0, math.log(float(v[name]))
    # With CPU offload only the GPU's share of the step scales with the fitted utilisation:
    # d log(throughput) / d log(compute MFU) = compute time / step time = offload_efficiency.
    return x * float(v.get("offload_efficiency", 1.0)), theta


def evaluate_specs(specs: list[dict[str, Any]], cat: Catalog) -> list[dict[str, Any]]:
    """Every scenario through the rules in one resolution (the memory-fit check is not applied: a measured run
    is evidence of speed even where the memory rules would refuse it)."""
    scens = [scenario_from(spec) for spec in specs]
    res = resolve(Rows.from_scenarios(scens, [checked_overrides(sc.overrides, cat) for sc in scens]), cat,
                  extra_targets=tuple(TARGETS), adopt=False)
    out = []
    for i in range(len(scens)):
        if res.errors[i] is not None:
            raise res.errors[i]
        out.append({k: (np.asarray(v).item() if np.ndim(v) == 0 else v) for k, v in res.values(i).items()})
    return out


def observations(cat: Catalog | None = None) -> list[Observation]:
    """Every scored case, recomputed with the current tables."""
    cat = cat or load_catalog(use_env=False)
    keys = factor_keys(cat)
    cases = [c for c in validation_yaml("cases.yaml")["cases"] if c["kind"] == "gpu_hours"]
    benches = validation_yaml("benchmarks.yaml")["benchmarks"]
    tunes = validation_yaml("finetune_throughput.yaml")["cases"]
    specs = [{k: c[k] for k in ("method", "model", "tokens", "gpu", "gpus") if k in c}
             | {"epochs": c.get("epochs", 1), "overrides": c.get("overrides") or {}} for c in cases]
    specs += [{"method": "pretrain", "model": b["model"], "tokens": 1e9, "gpu": b["gpu"], "gpus": b["gpus"],
               "overrides": {"seq_len": b["seq_len"], "dtype": b["dtype"],
                             "activation_recompute": b["activation_recompute"]}} for b in benches]
    specs += [{k: c[k] for k in ("method", "model", "gpu", "gpus")} | {"tokens": 1e9, "overrides": c["overrides"]}
              for c in tunes]
    values = iter(evaluate_specs(specs, cat))
    out: list[Observation] = []
    for c in cases:
        v = next(values)
        steady = c.get("covers") == "steady_state"
        pred = v["gpus"] * v["steady_state_hours"] if steady else v["gpu_hours"]
        out.append(Observation(c["id"], str(v["model_family"]), "gpu_hours", float(c["reported"]), float(pred),
                               *features(v, keys), source=c["source"], note="steady state" if steady else "all-in"))
    for b in benches:
        v = next(values)
        out.append(Observation(b["id"], str(v["model_family"]), "benchmark_mfu", benchmark_mfu_6nd(b, v),
                               float(v["mfu"]), *features(v, keys), source=b["source"]))
    for c in tunes:
        v = next(values)
        kind = "tokens_per_gpu_second" if c.get("fitted", True) else CHECKED
        out.append(Observation(c["id"], str(v["model_family"]), kind,
                               float(c["reported_tokens_per_gpu_second"]), float(v["tokens_per_gpu_second"]),
                               *features(v, keys), source=c["source"], note=c["cannot_express"]))
    return out


def benchmark_mfu_6nd(b: dict[str, Any], v: dict[str, Any]) -> float:
    """A benchmark's reported MFU on the 6ND basis of the rules: attention FLOPs removed (× 6N / (6N + 12·L·h·s),
    PaLM app. B); Megatron 2021's 'percentage of peak' counts the recomputed forward, so × 0.75 (its notes)."""
    reported = float(b["reported_mfu"])
    if b["convention"].startswith("Megatron: % of peak"):
        return reported * 0.75
    n = float(v["n_active"])
    return reported * 6 * n / (6 * n + 12 * float(v["layers"]) * float(v["hidden"]) * float(v["seq_len"]))


def _weights(obs: list[Observation]) -> np.ndarray:
    """Each (family, kind) group counts about as much as √(its size): many rows of one family do not swamp the rest."""
    groups: dict[tuple[str, str], int] = {}
    for o in obs:
        groups[(o.family, o.kind)] = groups.get((o.family, o.kind), 0) + 1
    return np.array([1.0 / math.sqrt(groups[(o.family, o.kind)]) for o in obs])


def fit(obs: list[Observation]) -> np.ndarray:
    """Weighted ridge least squares of log utilisation on the features, with the priors as pseudo-observations.
    Checked-only observations are left out."""
    obs = [o for o in obs if o.kind in FITTED_KINDS]
    x = np.array([o.x for o in obs]).reshape(len(obs), len(PARAMS))
    z = np.array([o.y + float(o.x @ o.theta) for o in obs])
    w = np.sqrt(_weights(obs)) if obs else np.zeros(0)
    prior = np.array([PRIORS[p][0] for p in PARAMS])
    lam = np.sqrt(np.array([PRIORS[p][1] for p in PARAMS]))
    a = np.vstack([x * w[:, None], np.diag(lam)])
    b = np.concatenate([z * w, prior * lam])
    theta, *_ = np.linalg.lstsq(a, b, rcond=None)
    return theta


@dataclass
class CrossValidation:
    rows: list[dict[str, Any]]
    theta: np.ndarray
    spread: tuple[float, float]  # P10, P90 of the held-out log-utilisation residuals
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)


def cross_validate(obs: list[Observation] | None = None) -> CrossValidation:
    """Leave one family out: refit without it, predict it. Coverage of each held-out case uses the P10-P90 of the
    other families' held-out residuals (so the interval never saw the case it is judged on)."""
    obs = obs if obs is not None else observations()
    theta = fit(obs)
    families = sorted({o.family for o in obs})
    held: dict[str, float] = {}
    for fam in families:
        t = fit([o for o in obs if o.family != fam])
        for o in obs:
            if o.family == fam:
                held[o.id] = o.y + float(o.x @ (o.theta - t))  # log(observed / predicted) after refitting
    rows = []
    for o in obs:
        others = np.array([held[p.id] for p in obs if p.family != o.family and p.kind in SPREAD_KINDS])
        lo, hi = np.percentile(others, [10, 90])
        r_in = o.y + float(o.x @ (o.theta - theta))
        rows.append({"id": o.id, "family": o.family, "kind": o.kind, "reported": o.reported,
                     "in_sample": o.refit(o.y - r_in), "held_out": o.refit(o.y - held[o.id]),
                     "in_sample_error": _err(o, r_in), "held_out_error": _err(o, held[o.id]),
                     "covered": bool(lo <= held[o.id] <= hi), "note": o.note, "source": o.source})
    all_held = np.array([held[o.id] for o in obs if o.kind in SPREAD_KINDS])
    spread = tuple(float(q) for q in np.percentile(all_held, [10, 90]))
    cv = CrossValidation(rows, theta, spread)  # type: ignore[arg-type]
    for kind in (*FITTED_KINDS, CHECKED):
        sel = [r for r in rows if r["kind"] == kind]
        if sel:
            cv.by_kind[kind] = {
                "cases": len(sel), "families": len({r["family"] for r in sel}),
                "in_sample_median": float(np.median([abs(r["in_sample_error"]) for r in sel])),
                "held_out_median": float(np.median([abs(r["held_out_error"]) for r in sel])),
                "held_out_worst": float(max(abs(r["held_out_error"]) for r in sel)),
                "held_out_coverage": sum(r["covered"] for r in sel) / len(sel)}
    return cv


def _err(o: Observation, residual: float) -> float:
    """Error of the prediction in the reported unit (predicted / reported − 1) given log(obs/pred util) residual."""
    return math.exp(-residual) - 1 if o.kind != "gpu_hours" else math.exp(residual) - 1


def suggested_tables(cv: CrossValidation) -> dict[str, float]:
    """The fitted parameter values in table units."""
    out = {}
    t = dict(zip(PARAMS, cv.theta))
    for p in PARAMS:
        if p.startswith("generation:"):
            out[f"mfu_base:{p.split(':')[1]}"] = float(math.exp(t["mfu_base"] + t[p]))
        else:
            out[p] = float(t[p]) if p.endswith("exponent") else float(math.exp(t[p]))
    out["range_factor_p10"], out["range_factor_p90"] = (math.exp(cv.spread[0]), math.exp(cv.spread[1]))
    return out


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    result = cross_validate()
    for k, val in suggested_tables(result).items():
        print(f"{k:32s} {val:.4f}")
    for kind, s in result.by_kind.items():
        print(kind, {k: round(v, 3) for k, v in s.items()})
    for r in result.rows:
        print(f"{r['id']:48s} {r['family']:12s} in {r['in_sample_error']:+.1%}  held-out {r['held_out_error']:+.1%}"
              f"  {'covered' if r['covered'] else ''}")
