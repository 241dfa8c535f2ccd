"""What the report shows, gathered from a Comparison: the headline, key assumptions, the rows of
the assumptions and method tables. No estimate is computed here: every number is read from the
Estimates (their values and trace steps) or the Comparison's headline(); sources.py gathers the
rows of the assumptions and method sections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimator.units import usd

PUBLISHED = "as published"  # in the name of compare's route at the model's published pre-training token count
METHOD_NAMES = {"pretrain": "pretraining", "full": "full fine-tuning", "lora": "LoRA", "qlora": "QLoRA"}


def scalar(value: Any) -> float | None:
    """A trace value as a float (the engine may hand back 0-d numpy arrays), or None if it is not a number."""
    if isinstance(value, (str, bool)) or value is None or np.ndim(value) != 0:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def ratio_text(x: float | None) -> str:
    """3306.6 -> '3,307×', 1211033 -> '1.21 million×', 2.5 -> '2.5×', 0.41 -> '0.41×' (as the CLI's headline)."""
    from estimator.present.tables import ratio_words

    if x is None or not isinstance(x, (int, float)) or not math.isfinite(x):
        return "n/a"
    return ratio_words(x)


def count_text(x: float | None) -> str:
    """Counts in words a finance reader knows: 161e9 -> '161 billion', 60 -> '60'."""
    if x is None or not isinstance(x, (int, float)) or not math.isfinite(x):
        return "n/a"
    for factor, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        if abs(x) >= factor:
            return f"{x / factor:.3g} {word}"
    return f"{x:,.0f}"


def time_text(days: float | None) -> str:
    """Wall-clock time from headline days, formatted exactly as the CLI's compare table does."""
    from estimator.present.tables import days_text

    if days is None or not isinstance(days, (int, float)) or not math.isfinite(days):
        return "not stated"
    return days_text(days)


def names(comparison) -> list[str]:
    """Display name of each scenario (as in to_frame() and headline())."""
    return [s.name or f"{e.method} {e.model_id}" for s, e in zip(comparison.scenarios, comparison.estimates)]


def is_viable(estimate) -> bool:
    """As in Comparison.headline(): a scratch run far below compute-optimal tokens is not a usable route."""
    return not (estimate.method == "pretrain" and estimate.values.get("tokens_vs_optimal", 1) < 0.5)


ROUTES = {"pretrain": "pretrain the same architecture from scratch", "full": "fully fine-tune the open model",
          "lora": "fine-tune it with LoRA adapters", "qlora": "fine-tune it with QLoRA (4-bit) adapters",
          "api": "pay a hosted fine-tuning API"}


def lead(comparison) -> str:
    """One sentence saying what question the report answers."""
    grid = getattr(comparison, "grid", None)
    grid_methods = list(grid["method"]) if grid is not None and len(grid) and "method" in grid.columns else []
    methods = list(dict.fromkeys([*(e.method for e in comparison.estimates), *grid_methods]))
    routes = [ROUTES[m] for m in methods if m in ROUTES]
    text = ", ".join(routes[:-1]) + (" or " if len(routes) > 1 else "") + routes[-1] if routes else "train"
    gpu = any(m != "api" for m in methods)
    return (f"What it costs, and how long it takes, to {text}. Costs are "
            + ("cloud rental" + (" and API" if "api" in methods else "") if gpu else "API")
            + " list prices in US dollars (no hardware purchase, staff or data preparation).")


@dataclass
class Summary:
    cheapest: dict[str, Any] | None
    fastest: dict[str, Any] | None
    ratios: list[dict[str, Any]]  # scratch vs each fine-tuning route
    not_viable: list[tuple[str, str]]  # (name, why)
    assumptions: list[str]
    notes: list[str] = field(default_factory=list)
    title: str = ""
    lead: str = ""
    lowest_tco: dict[str, Any] | None = None  # training + serving over the horizon, when traffic is costed


def _positive(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def summary(comparison) -> Summary:
    head = comparison.headline()
    by_name = dict(zip(names(comparison), comparison.estimates))
    ratios = head.get("ratios", [])
    viable_scratch = {n for n, e in by_name.items() if e.method == "pretrain" and is_viable(e)}
    published = {n for n in viable_scratch if PUBLISHED in n}  # what rebuilding the released model costs: the headline
    shown = [r for r in ratios if r["scratch"] in (published or viable_scratch)] or ratios
    for r in shown:
        s, t = by_name.get(r["scratch"]), by_name.get(r["fine_tuning"])
        r["scratch_cost_usd"] = s.cost_usd if s else None
        r["scratch_days"] = s.values.get("wall_clock_days") if s else None
        r["cost_usd"] = t.cost_usd if t else None
        r["days"] = t.values.get("wall_clock_days") if t else None
    not_viable = []
    for n, e in by_name.items():
        if not is_viable(e):
            why = next((w for w in e.warnings if "compute-optimal" in w), "far below compute-optimal tokens")
            not_viable.append((n, why))
    models = sorted({e.model_id for e in comparison.estimates if e.method != "api"}) or \
        sorted({e.model_id for e in comparison.estimates})
    title = "Training cost: build from scratch vs fine-tune" + (f" {', '.join(models)}" if models else "")
    cheapest, fastest = head.get("cheapest"), head.get("fastest_on_gpus")
    grid_best = _grid_best(getattr(comparison, "grid", None))
    if cheapest is None and grid_best:
        cheapest, fastest = grid_best
    return Summary(cheapest, fastest, shown, not_viable,
                   key_assumptions(comparison), list(comparison.notes), title, lead(comparison), head.get("lowest_tco"))


def grid_label(row: dict[str, Any]) -> str:
    gpus = row.get("gpus")
    label = " ".join(str(row.get(k)) for k in ("method", "model", "gpu", "provider") if row.get(k) not in (None, ""))
    return label + (f" ×{gpus:.0f}" if isinstance(gpus, (int, float)) and math.isfinite(gpus) else "")


def _grid_best(grid) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """Cheapest and fastest grid points (rows that fit), for a comparison made of a grid only."""
    if grid is None or not len(grid) or "cost_usd" not in grid.columns:
        return None
    rows = [r for r in grid.to_dict("records") if r.get("fits", True) is not False
            and isinstance(r.get("cost_usd"), (int, float)) and math.isfinite(r["cost_usd"])]
    if not rows:
        return None

    def pick(row: dict[str, Any]) -> dict[str, Any]:
        return {"name": grid_label(row), "cost_usd": row["cost_usd"], "wall_clock_days": row.get("wall_clock_days")}

    timed = [r for r in rows if isinstance(r.get("wall_clock_days"), (int, float)) and math.isfinite(r["wall_clock_days"])]
    return (pick(min(rows, key=lambda r: r["cost_usd"])),
            pick(min(timed, key=lambda r: r["wall_clock_days"])) if timed else None)


def _step(est, name: str):
    return next((s for s in est.steps if s.name == name), None)


def mfu_routes(found: list[tuple[float, str, str]]) -> str:
    """'35% for pretraining; 30% for full fine-tuning, LoRA': routes named by method, or by scenario name when
    one method runs at different utilisations (e.g. two pretraining runs on different GPU counts)."""
    values_of: dict[str, set[float]] = {}
    for value, method, _ in found:
        values_of.setdefault(method, set()).add(value)
    routes: dict[float, list[str]] = {}
    for value, method, label in found:
        route = label if len(values_of[method]) > 1 else METHOD_NAMES.get(method, method)
        if route not in routes.setdefault(value, []):
            routes[value].append(route)
    return "; ".join(f"{v:.0%} for {', '.join(r)}" for v, r in routes.items())


def published_route(comparison, estimate) -> str | None:
    """The name of `estimate`'s scenario when it is compare's route at the published pre-training token count."""
    return next((n for n, e in zip(names(comparison), comparison.estimates) if e is estimate and PUBLISHED in n), None)


def key_assumptions(comparison) -> list[str]:
    """One sentence per main assumption (price, utilisation, data, hosted API), read from the traces."""
    out: list[str] = []
    seen: set[str] = set()

    def add(text: str) -> None:
        if text not in seen:
            seen.add(text)
            out.append(text)

    gpu_ests = [e for e in comparison.estimates if e.method != "api"]
    for e in gpu_ests:
        p = _step(e, "price_usd_per_gpu_hour")
        price = scalar(p.value) if p is not None else None
        if price is not None and math.isfinite(price):
            listed = _step(e, "listed_usd_per_gpu_hour")  # the catalog rows the rental price was taken from
            if p.kind == "override":
                how = "set by the user"
            elif listed is not None and listed.kind == "catalog":
                how = listed.formula.replace("_", "-")
            else:
                how = p.formula
            how = f", the {how}" if how.startswith("median") else f" ({how})"
            add(f"GPU rental: {usd(price)} per {e.gpu_id} GPU-hour{how}; electricity is included in that price.")
    by_gpu: dict[tuple[str, str], list[tuple[float, str, str]]] = {}  # (gpu, generation) -> (MFU, method, scenario)
    for label, e in zip(names(comparison), comparison.estimates):
        mfu = scalar(e.values.get("mfu")) if e.method != "api" else None
        if isinstance(mfu, (int, float)):
            gen = str(e.values.get("gpu_generation", e.gpu_id))
            by_gpu.setdefault((e.gpu_id, gen), []).append((float(mfu), e.method, label))
    for (gpu, gen), found in by_gpu.items():
        add(f"GPU utilisation on {gpu} ({gen}), the share of the cards' peak speed that goes to useful work while "
            f"training (steady-state MFU, fitted to published runs, benchmarks and fine-tunes by GPU generation, model "
            f"size, GPU count, method and recomputation): {mfu_routes(found)}. Start-up, checkpoints and failures "
            f"are added on top as goodput.")
    for e in comparison.estimates:
        tokens, epochs = e.values.get("tokens"), e.values.get("epochs")
        if tokens is None or epochs is None:
            continue
        if e.method == "pretrain":
            if "compute_optimal_tokens" in e.values and is_viable(e):
                per, times = scalar(e.values.get("tokens_per_param_optimal")), scalar(e.values.get("tokens_vs_optimal"))
                share = "" if per is None or times is None else (f"the compute-optimal {per:g} per parameter" if abs(times - 1) < 0.01 else
                         f"{times:.3g}× the compute-optimal {per:g} per parameter")
                route = published_route(comparison, e)
                add((f"“{route}” uses the {count_text(e.values['train_tokens'])} tokens {e.model_id} was pre-trained on, "
                     f"as its publisher states (source in the notes)" if route else
                     f"Pretraining from scratch uses {count_text(e.values['train_tokens'])} tokens")
                    + (f", {share} (Hoffmann et al. 2022)." if share else ".")
                    + (" The headline compares fine-tuning with this route: it is what rebuilding the released model "
                       "costs." if route else ""))
        elif e.method == "api":
            add(f"Hosted API bills {count_text(tokens)} tokens per pass × {epochs:g} passes (epochs).")
        else:
            add(f"Fine-tuning data: {count_text(tokens)} tokens per pass × {epochs:g} passes (epochs).")
    for s, e in zip(comparison.scenarios, comparison.estimates):
        if e.method == "api":  # named by service: several services may tune the same model at different prices
            p, hourly = _step(e, "training_usd_per_1m_tokens"), _step(e, "training_usd_per_hour")
            service = s.model if isinstance(s.model, str) else e.model_id
            if hourly is not None and _positive(hourly.value):  # billed per training hour (OpenAI/Azure RFT)
                hours = _step(e, "training_hours")
                given = hours is not None and _positive(hours.value)
                add(f"Hosted fine-tuning ({service}): {usd(hourly.value)} per training hour; "
                    + (f"{hours.value:g} hours as given (--set training_hours)." if given else
                       "the hours cannot be predicted from the dataset, so its training cost is not shown "
                       "(give them with --set training_hours=H)."))
            elif p is not None:
                add(f"Hosted fine-tuning ({service}): {usd(p.value)} per million training tokens, billed per pass; "
                    f"the provider does not state training time.")
    return out


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of points no other point beats on both time and cost (lower is better), by time."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    front, best = [], math.inf
    for i in order:
        if points[i][1] < best:
            front.append(i)
            best = points[i][1]
    return front
