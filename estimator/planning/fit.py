"""What fits on a GPU: the settings a trainer would reach for, and the longest seq_len / largest LoRA rank.

Every answer evaluates the same rules as an estimate, with the candidate settings as override arrays (one row
per candidate) in one engine pass; nothing here restates a memory formula.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimator.rules.memory import GIB

# Settings a trainer reaches for when a run does not fit, cheapest in speed first (recomputation adds a forward;
# CPU offload is the slowest). Combinations come last.
_LEAN = {"activation_recompute": "full", "loss": "chunked", "optimizer": "paged_adamw_8bit"}
ALTERNATIVES: list[tuple[str, dict[str, Any]]] = [
    ("chunked loss", {"loss": "chunked"}),
    ("selective checkpointing", {"activation_recompute": "selective"}),
    ("adamw_8bit", {"optimizer": "adamw_8bit"}),
    ("full checkpointing", {"activation_recompute": "full"}),
    ("paged_adamw_8bit", {"optimizer": "paged_adamw_8bit"}),
    ("micro-batch 1", {"micro_batch": 1}),
    ("activation offload", {"activation_offload": 1}),
    ("full checkpointing + chunked loss + paged_adamw_8bit", _LEAN),
    ("full checkpointing + chunked loss + paged_adamw_8bit + activation offload", _LEAN | {"activation_offload": 1}),
    ("optimizer offload", {"offload": "optimizer"}),
    ("optimizer and parameter offload", {"offload": "optimizer+params"}),
    ("all of the above", _LEAN | {"activation_offload": 1, "micro_batch": 1, "offload": "optimizer+params"}),
]
FIT_TARGETS = ["memory_required_gb", "memory_per_gpu_gb", "gpus_to_fit", "usable_bytes_per_gpu", "gpus"]


@dataclass
class Option:
    label: str
    overrides: dict[str, Any]
    memory_gb: float
    gpus_to_fit: float
    fits: bool


def resolve_rows(scenarios: list[Any], cat: Any, targets: tuple[str, ...]) -> list[dict[str, Any]]:
    """Values of each scenario (one row each) from one resolution: one engine pass over all candidates."""
    from estimator.planning.inputs import checked_overrides
    from estimator.planning.resolution import resolve
    from estimator.planning.rows import Rows

    res = resolve(Rows.from_scenarios(scenarios, [checked_overrides(s.overrides, cat) for s in scenarios]), cat,
                  extra_targets=targets, adopt=False)
    out = []
    for i in range(len(scenarios)):
        if res.errors[i] is not None:
            raise res.errors[i]
        out.append(res.values(i))
    return out


def try_settings(scenario: Any, cat: Any, options: list[tuple[str, dict[str, Any]]], base: dict[str, Any]) -> list[Option]:
    """Evaluate each option (label, overrides) as one row of one resolution; `base` holds the current values."""
    return try_settings_many([(scenario, base)], cat, options)[0]


def try_settings_many(items: list[tuple[Any, dict[str, Any]]], cat: Any,
                      options: list[tuple[str, dict[str, Any]]]) -> list[list[Option]]:
    """try_settings for several (scenario, current values) at once: every (scenario, option) pair is a row of one
    resolution. An option whose row cannot be estimated counts as not fitting."""
    from dataclasses import replace

    from estimator.planning.inputs import checked_overrides
    from estimator.planning.resolution import resolve
    from estimator.planning.rows import Rows

    todo = [[(label, o) for label, o in options if any(_differs(base.get(k), v) for k, v in o.items())]
            for _, base in items]
    scens = [replace(s, overrides=dict(s.overrides) | o) for (s, _), opts in zip(items, todo) for _, o in opts]
    if not scens:
        return [[] for _ in items]
    res = resolve(Rows.from_scenarios(scens, [checked_overrides(s.overrides, cat) for s in scens]), cat,
                  extra_targets=tuple(FIT_TARGETS), adopt=False)
    need, req, usable = (res.column(k) for k in ("gpus_to_fit", "memory_required_gb", "usable_bytes_per_gpu"))
    out, k = [], 0
    for opts in todo:
        found = []
        for label, o in opts:
            fits = bool(res.errors[k] is None and np.isfinite(need[k]) and req[k] * GIB <= usable[k] * (1 + 1e-9))
            found.append(Option(label, dict(o), float(req[k]), float(need[k]), fits))
            k += 1
        out.append(found)
    return out


def _differs(current: Any, wanted: Any) -> bool:
    if current is None:
        return True
    if isinstance(wanted, str) or isinstance(current, str):
        return str(current) != str(wanted)
    return float(current) != float(wanted)


@dataclass
class FitLimits:
    """What fits on one GPU: `estimator fit`."""

    model: str
    gpu: str
    method: str
    usable_gb: float
    memory_gb: float  # required per GPU (allocated peak + CUDA context) at the default (or given) settings
    fits: bool
    max_seq_len: int | None  # longest seq_len that fits (None: not even the shortest tried)
    max_lora_rank: int | None  # LoRA/QLoRA only
    settings: dict[str, Any] = field(default_factory=dict)
    options: list[Option] = field(default_factory=list)  # other settings that fit when the defaults do not

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in ("model", "gpu", "method", "usable_gb", "memory_gb", "fits", "max_seq_len",
                                           "max_lora_rank")}
        d["settings"] = dict(self.settings)
        d["options"] = [{"label": o.label, "memory_gb": o.memory_gb, "fits": o.fits} for o in self.options]
        return d


SETTINGS_SHOWN = ("stack", "optimizer", "master_weights", "activation_recompute", "attention", "loss", "offload",
                  "activation_offload", "zero_stage", "micro_batch", "seq_len", "lora_rank", "lora_targets")


def seq_len_candidates(context: float, seq_len: float) -> np.ndarray:
    """128 up to 4× the model context (4× the resolved seq_len when the model states none), 16 steps per doubling,
    multiples of 128."""
    top = max(4.0 * float(context if np.isfinite(context) else seq_len), 256.0)
    grid = np.unique(np.round(np.geomspace(128, top, int(np.log2(top / 128) * 16) + 2) / 128) * 128)
    return grid[grid >= 128]


def fit(model: str | dict[str, Any], gpu: str, method: str = "lora", overrides: dict[str, Any] | None = None,
        catalog: Any = None) -> FitLimits:
    """The longest seq_len and the largest LoRA rank that fit on one `gpu` (other settings as given or default)."""
    from dataclasses import replace

    from estimator.planning.inputs import resolve_catalog
    from estimator.planning.scenario import Scenario

    cat = resolve_catalog(catalog)
    scenario = Scenario(method=method, model=model, tokens=1e6, epochs=1, gpu=gpu, gpus=1, overrides=dict(overrides or {}))
    targets = tuple(FIT_TARGETS) + SETTINGS_SHOWN + ("context",)
    base = resolve_rows([scenario], cat, targets)[0]
    usable = float(base["usable_bytes_per_gpu"]) / GIB
    seqs = seq_len_candidates(float(base["context"]), float(base["seq_len"]))
    ranks = 2.0 ** np.arange(0, 17) if method in ("lora", "qlora") else np.array([])
    cands = [{"seq_len": int(x)} for x in seqs] + [{"lora_rank": int(r)} for r in ranks]
    rows = resolve_rows([replace(scenario, overrides=dict(scenario.overrides) | c) for c in cands], cat,
                        ("memory_required_gb",))
    ok = np.array([float(v["memory_required_gb"]) <= usable * (1 + 1e-9) for v in rows])
    n_s = len(seqs)
    max_seq = int(seqs[ok[:n_s]].max()) if ok[:n_s].any() else None
    max_rank = (int(ranks[ok[n_s:]].max()) if ok[n_s:].any() else None) if len(ranks) else None
    memory = float(base["memory_required_gb"])
    fits = memory <= usable * (1 + 1e-9)
    adapters = method in ("lora", "qlora")  # LoRA settings mean nothing for full fine-tuning or pretraining
    settings = {k: _plain(base[k]) for k in SETTINGS_SHOWN if adapters or not k.startswith("lora_")}
    options = [] if fits else try_settings(scenario, cat, ALTERNATIVES, {k: _plain(v) for k, v in base.items()})
    return FitLimits(str(model), gpu, method, usable, memory, fits, max_seq, max_rank, settings, options)


def _plain(value: Any) -> Any:
    arr = np.asarray(value)
    value = arr.item() if arr.ndim == 0 else value
    return int(value) if isinstance(value, float) and value.is_integer() else value
