"""Score the memory rules against published fine-tuning peak memory (estimator/data/validation/finetune_memory.yaml).

Each case is recomputed from its model, method, GPU count and the trainer settings its source states; nothing
measured is typed in. Rows say the error, whether the estimate would refuse a run that really ran, and what the
case's settings cannot express. The one fitted constant (allocator_overhead_fraction, on nvidia-smi readings of
ZeRO-3/FSDP runs) is also scored leave-one-out.

    python -m estimator.planning.validation_memory      # prints docs/validation-memory.md
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from estimator.catalog.loader import Catalog, load_catalog
from estimator.catalog.yamlio import load_yaml

CASES_FILE = "finetune_memory.yaml"
FRACTIONS = np.round(np.arange(0.0, 0.61, 0.01), 2)  # candidate allocator_overhead_fraction values


@dataclass
class MemoryRow:
    id: str
    family: str
    method: str
    gpus: int
    reading: str  # allocated | device
    tier: str  # measured | requirement
    measured_gib: float
    estimated_gib: float
    error: float  # estimated / measured - 1
    refused: bool  # the estimate says this configuration does not fit the card it ran on
    unexpressed: list[str] = field(default_factory=list)
    source: str = ""


def load_cases() -> list[dict[str, Any]]:
    text = (resources.files("estimator.data.validation") / CASES_FILE).read_text(encoding="utf-8")
    data, _ = load_yaml(f"estimator/data/validation/{CASES_FILE}", text)
    return data["cases"]


TARGETS = ("memory_allocated_gb", "memory_per_gpu_gb", "memory_required_gb", "usable_memory_fraction", "model_family")


def _scenario(case: dict[str, Any], extra: dict[str, Any] | None = None):
    from estimator.planning.scenario import Scenario

    settings = {k: (",".join(v) if isinstance(v, list) else v) for k, v in (case.get("settings") or {}).items()}
    return Scenario(method=case["method"], model=case["model"], tokens=1e6, epochs=1, gpu=case["gpu"],
                    gpus=case["gpus"], overrides=settings | dict(extra or {}))


def _evaluate(case: dict[str, Any], cat: Catalog, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    from estimator.planning.fit import resolve_rows

    return resolve_rows([_scenario(case, extra)], cat, TARGETS)[0]


def _estimated(case: dict[str, Any], values: dict[str, Any]) -> np.ndarray:
    key = "memory_allocated_gb" if case["reading"] == "allocated" else "memory_per_gpu_gb"
    return np.asarray(values[key], dtype=float)


def run_case(case: dict[str, Any], cat: Catalog) -> MemoryRow:
    v = _evaluate(case, cat)
    est = float(_estimated(case, v))
    card = float(case.get("card_gb") or cat.gpu(case["gpu"]).memory_gb)
    refused = float(v["memory_required_gb"]) > card * float(v["usable_memory_fraction"]) * (1 + 1e-9)
    measured = float(case["measured_gib"])
    return MemoryRow(case["id"], str(v["model_family"]), case["method"], int(case["gpus"]), case["reading"],
                     case.get("tier", "measured"), measured, est, est / measured - 1, bool(refused),
                     list(case.get("unexpressed") or []), case["source"])


def _median_abs(errors) -> float:
    return float(statistics.median(abs(e) for e in errors)) if len(errors) else float("nan")


def fraction_errors(cases: list[dict[str, Any]], cat: Catalog) -> dict[str, np.ndarray]:
    """Per case, the error at every candidate allocator_overhead_fraction (one engine pass per case)."""
    from estimator.planning.fit import resolve_rows

    out = {}
    for case in cases:  # one resolution per case: a row per candidate fraction
        rows = resolve_rows([_scenario(case, {"allocator_overhead_fraction": float(f)}) for f in FRACTIONS], cat, TARGETS)
        out[case["id"]] = np.array([float(_estimated(case, v)) for v in rows]) / float(case["measured_gib"]) - 1
    return out


def leave_one_out(cases: list[dict[str, Any]], cat: Catalog) -> dict[str, Any]:
    """Fit allocator_overhead_fraction (median |error|) on the sharded multi-GPU nvidia-smi readings; score each
    case with the value fitted without it, and each model family with the value fitted on the others."""
    fitted = [c for c in cases if c.get("tier", "measured") == "measured" and c["reading"] == "device"
              and c["gpus"] > 1 and (c.get("settings") or {}).get("zero_stage", 3) >= 3]
    errs = fraction_errors(fitted, cat)

    def best(ids: list[str]) -> float:
        if not ids:
            return float("nan")
        score = np.median(np.abs(np.stack([errs[i] for i in ids])), axis=0)
        return float(FRACTIONS[int(np.argmin(score))])

    ids = [c["id"] for c in fitted]
    held = {}
    for i in ids:
        f = best([j for j in ids if j != i])
        held[i] = {"fraction": f, "error": float(errs[i][int(np.argmin(np.abs(FRACTIONS - f)))])}
    families = {c["id"]: _evaluate(c, cat)["model_family"] for c in fitted}
    by_family = {}
    for fam in sorted(set(families.values())):
        others = [i for i in ids if families[i] != fam]
        by_family[str(fam)] = best(others)
    return {"cases": ids, "fit_all": best(ids), "held_out": held,
            "held_out_median_abs_error": _median_abs([h["error"] for h in held.values()]),
            "family_fit_without": by_family}


def run_validation(cat: Catalog | None = None) -> tuple[list[MemoryRow], dict[str, Any]]:
    cat = cat or load_catalog(use_env=False)
    cases = load_cases()
    rows = [run_case(c, cat) for c in cases]
    return rows, summarize(rows) | {"leave_one_out": leave_one_out(cases, cat)}


def summarize(rows: list[MemoryRow]) -> dict[str, Any]:
    measured = [r for r in rows if r.tier == "measured"]
    req = [r for r in rows if r.tier == "requirement"]
    worst = max(measured, key=lambda r: abs(r.error))
    return {
        "cases": len(measured),
        "median_abs_error": _median_abs([r.error for r in measured]),
        "worst_abs_error": abs(worst.error),
        "worst_case": worst.id,
        "within_20pct": sum(abs(r.error) <= 0.20 for r in measured) / len(measured),
        "refusals_of_runs_that_ran": [r.id for r in measured if r.refused],
        "requirement_cases": len(req),
        "requirement_median_abs_error": _median_abs([r.error for r in req]),
        "peer_llm_analysis_median_abs_error": 0.24,
    }


def to_markdown(rows: list[MemoryRow], summary: dict[str, Any]) -> str:
    loo = summary["leave_one_out"]
    lines = [
        "## Fine-tuning peak memory",
        "",
        "Generated by `python -m estimator.planning.validation_memory > docs/validation-memory.md` (do not edit by hand).",
        "Each case is recomputed from its model, method, GPU count and the trainer settings its source states",
        "(`estimator/data/validation/finetune_memory.yaml`); no efficiency or measured figure is typed in.",
        "`allocated` readings (torchtune's peak allocated memory) are compared with the allocated peak; `device`",
        "readings (nvidia-smi) with the allocated peak plus framework overhead.",
        "",
        f"- measured cases: {summary['cases']}; median |error| **{summary['median_abs_error']:.0%}** "
        f"(llm-analysis at efficiency 0.5: {summary['peer_llm_analysis_median_abs_error']:.0%}); worst "
        f"{summary['worst_abs_error']:.0%} ({summary['worst_case']}); within 20%: {summary['within_20pct']:.0%}",
        f"- configurations that ran but would be refused: {len(summary['refusals_of_runs_that_ran'])}"
        + (f" ({', '.join(summary['refusals_of_runs_that_ran'])})" if summary["refusals_of_runs_that_ran"] else ""),
        f"- vendor requirement tables (LLaMA-Factory, 'estimated' by its authors, unstated sequence length and batch; "
        f"not scored): {summary['requirement_cases']} cases, median |error| {summary['requirement_median_abs_error']:.0%}",
        f"- the one fitted constant, allocator_overhead_fraction (ZeRO-3/FSDP over several GPUs, nvidia-smi "
        f"readings): {loo['fit_all']:.2f} on all {len(loo['cases'])} such cases; leave-one-case-out median |error| "
        f"{loo['held_out_median_abs_error']:.0%}; by family left out: "
        + ", ".join(f"{fam} {'no other family has such readings' if np.isnan(f) else f'{f:.2f}'}"
                    for fam, f in loo["family_fit_without"].items()),
        "",
        "| case | method | GPUs | reading | measured GiB | estimated GiB | error | refused | not expressible |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r.id}{' (requirement)' if r.tier == 'requirement' else ''} | {r.method} | {r.gpus} | "
                     f"{r.reading} | {r.measured_gib:.1f} | {r.estimated_gib:.1f} | {r.error:+.0%} | "
                     f"{'yes' if r.refused else 'no'} | {'; '.join(r.unexpressed) or '-'} |")
    return "\n".join(lines) + "\n"


def rows_as_dicts(rows: list[MemoryRow]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(to_markdown(*run_validation()))
