"""The routes a comparison holds: the default set for a model (scratch, full, LoRA, QLoRA, hosted services) or the
scenarios and grid of a scenario file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from estimator.catalog.loader import Catalog
from estimator.catalog.yamlio import line_of, load_yaml
from estimator.errors import ConfigurationError
from estimator.planning.givens import DEFAULT_GPU

DEFAULT_MODEL = "llama-3.1-8b"

DEFAULT_API_MODEL = "gpt-4o-mini"
PRETRAIN_DEADLINE = "30d"
PUBLISHED_ROUTE = "as published"  # in the name of the route at the model's published pre-training token count
HOSTED_PROVIDERS = ("openai", "google-vertex", "aws-bedrock", "together", "fireworks", "mistral", "azure")


def default_scenarios(model: str | None, tokens: Any, dataset: Any, gpu: str | None, provider: str | None,
                      cat: Catalog, overrides: dict[str, Any] | None = None, *, epochs: Any = None,
                      tier: str = "on_demand", gpus: int | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Scratch (compute-optimal, as published when the catalog has the model's published pre-training token count,
    and at the data's tokens), full, LoRA, QLoRA, hosted services. Fine-tuning and hosted routes share one epoch
    count (default 3); pretraining takes none."""
    spec = cat.model(model or DEFAULT_MODEL)
    data = {"tokens": tokens} if tokens is not None else {"dataset": dataset}
    notes = []
    if spec.api_only:
        services = [a.id for a in cat.apis_for(spec.id)]
        notes.append(f"{spec.id} is API-only: only its hosted routes apply")
        if len(services) < 2:
            return [{"name": f"Hosted API ({spec.id})", "method": "api", "model": spec.id, **data}], notes
        out = [{"name": f"Hosted: {sid}", "method": "api", "model": sid, **data} for sid in services]
        return out, notes + hourly_notes(services, cat, overrides)
    common = {"model": spec.id, "gpu": gpu or DEFAULT_GPU, "provider": provider, "tier": tier}
    tune = {"epochs": epochs if epochs is not None else 3} | ({"gpus": gpus} if gpus is not None else {})
    from estimator.planning.assumptions import facts_needed, lookup

    table = cat.assumption("tokens_per_param_optimal")
    facts = {"method": "pretrain", "n_params": spec.params, "model_family": spec.family or spec.id}
    per_param = (overrides or {}).get("tokens_per_param_optimal") or lookup(
        table, "tokens_per_param_optimal", {k: facts[k] for k in facts_needed(table) if k in facts}).value
    optimal = float(per_param) * spec.params
    out = [
        {"name": "Pretrain from scratch (compute-optimal)", "method": "pretrain", "tokens": optimal,
         "deadline": PRETRAIN_DEADLINE, **common},
        *published_route(spec, common, notes, optimal),
        {"name": "Pretrain from scratch (dataset tokens)", "method": "pretrain", "deadline": PRETRAIN_DEADLINE,
         "epochs": 1, **data, **common},
        {"name": "Full fine-tuning", "method": "full", **data, **common, **tune},
        {"name": "LoRA", "method": "lora", **data, **common, **tune},
        {"name": "QLoRA", "method": "qlora", **data, **common, **tune},
    ]
    notes.append(f"pretraining scenarios use the fewest {common['gpu']} GPUs (whole 8-GPU servers beyond one) that finish within "
                 f"{PRETRAIN_DEADLINE}; "
                 "fine-tuning scenarios the fewest that fit in memory")
    hosted = hosted_routes(spec.id, cat)
    for service in hosted:
        out.append({"name": f"Hosted: {service}", "method": "api", "model": service, **data,
                    "epochs": tune["epochs"]})
    if hosted:
        notes.append("hosted routes: the compared model's own services, and each other provider's default service "
                     "(a different model where the provider does not offer this one) and its hour-billed services; "
                     "preference (DPO) services are left out: they train on preference pairs, not this dataset")
    return out, notes + hourly_notes(hosted, cat, overrides)


def published_route(spec, common: dict[str, Any], notes: list[str], optimal: float) -> list[dict[str, Any]]:
    """Pretraining at the token count the model was published with (catalog `pretrain_tokens`), sized for the same
    deadline as the compute-optimal route: what rebuilding the released model costs. None when it is not published,
    or when compare would leave it out as under half the compute-optimal count (the note says so)."""
    if not spec.pretrain_tokens:
        return []
    from estimator.units import count

    tokens = float(spec.pretrain_tokens)
    name = f"Pretrain from scratch ({PUBLISHED_ROUTE}: {count(tokens, space='')} tokens)"
    source = f"the {count(tokens, space='')} tokens {spec.id} was pre-trained on, as published: {spec.pretrain_tokens_source}"
    if tokens < 0.5 * optimal:  # compare drops scratch runs below half the compute-optimal count (comparison.py)
        notes.append(f"{name}: not shown: {source}; that is {tokens / optimal:.2g}× the compute-optimal count for "
                     f"{count(spec.params, space='')} parameters, and compare leaves out pretraining runs under half of it "
                     f"(`estimator estimate --method pretrain --model {spec.id} --tokens {count(tokens, space='')}` "
                     "prices it)")
        return []
    notes.append(f"{name}: {source}. The headline compares fine-tuning with this route: it is what rebuilding the "
                 "released model costs; the compute-optimal route trains the same architecture on fewer tokens than the "
                 "released model saw, for less" + published_run(spec.id))
    return [{"name": name, "method": "pretrain", "tokens": tokens, "deadline": PRETRAIN_DEADLINE, **common}]


def hosted_routes(model_id: str, cat: Catalog) -> list[str]:
    """Supervised services for `model_id`, then per other provider its default per-token supervised service and its
    hour-billed services (catalog order). DPO services are not default routes (they need preference data)."""
    def route(a):
        return a.method != "dpo"

    own = [a.id for a in cat.apis_for(model_id) if route(a)]
    seen = {cat.apis[i].provider for i in own}
    others = []
    for provider in HOSTED_PROVIDERS:
        if provider in seen:
            continue
        rows = [a for a in cat.apis.values() if a.provider == provider and route(a)]
        per_token = [a.id for a in rows if a.billing == "per_token"]
        others += per_token[:1] + [a.id for a in rows if a.billing != "per_token"]
    return own + others


def hourly_notes(services: list[str], cat: Catalog, overrides: dict[str, Any] | None) -> list[str]:
    """What an hour-billed route shows: its training cost needs the hours (--set training_hours=H); its serving
    cost (hosting and tokens) does not."""
    hourly = [cat.apis[s] for s in services if cat.apis[s].billing == "per_training_hour"]
    if not hourly:
        return []
    names = ", ".join(f"{a.id} (${a.training_usd_per_hour:g}/h)" for a in hourly)
    hours = (overrides or {}).get("training_hours")
    if hours is not None:
        return [f"{names} bill training by the hour: training cost at training_hours={hours} (given with --set), "
                "the same for each of them"]
    return [f"{names} bill training by the hour, and the hours cannot be predicted from the dataset: their training "
            "cost and TCO show '—' until you give --set training_hours=H; their serving cost (hosting fee and "
            "tokens) does not depend on them"]


def load_scenario_file(path: str | Path, cat: Catalog | None = None
                       ) -> tuple[dict[str, Any], list[tuple[dict[str, Any], str]], dict[str, list]]:
    """(defaults, [(scenario, 'file:line')], grid) from a scenarios YAML file; with `cat`, unknown keys are
    errors at the key's line."""
    data, lines = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}:1: expected a mapping with 'defaults', 'scenarios' and/or 'grid'")
    unknown = set(data) - {"defaults", "scenarios", "grid"}
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigurationError(f"{path}:{line_of(lines, (key,))}: unknown key '{key}' (expected defaults, scenarios, grid)")
    defaults = data.get("defaults") or {}
    scenarios = data.get("scenarios") or []
    grid = data.get("grid") or {}
    if not isinstance(defaults, dict) or not isinstance(scenarios, list) or not isinstance(grid, dict):
        raise ConfigurationError(f"{path}:1: 'defaults' and 'grid' are mappings, 'scenarios' a list")
    items = []
    for i, s in enumerate(scenarios):
        where = f"{path}:{line_of(lines, ('scenarios', i))}"
        if not isinstance(s, dict):
            raise ConfigurationError(f"{where}: each scenario is a mapping of estimate inputs")
        items.append((s, where))
    if cat is not None:
        from estimator.catalog.bounds import check_keys
        from estimator.planning.grid import SCENARIO_FIELDS

        for prefix, mapping, label in [(("defaults",), defaults, "defaults"), (("grid",), grid, "grid"),
                                       *((("scenarios", i), s, f"scenario '{s.get('name') or i + 1}'") for i, (s, _) in enumerate(items))]:
            check_keys(mapping, SCENARIO_FIELDS, cat, lambda key, p=prefix: f"{path}:{line_of(lines, (*p, *key))}", label)
    if not items and not grid:
        raise ConfigurationError(f"{path}: no 'scenarios' and no 'grid': nothing to compare")
    here = Path(path).resolve().parent
    defaults = _relative_to(defaults, here)
    items = [(_relative_to(s, here), where) for s, where in items]
    if isinstance(grid.get("dataset"), list):
        grid = grid | {"dataset": [_relative_to({"dataset": d}, here)["dataset"] for d in grid["dataset"]]}
    return defaults, items, grid


def _relative_to(values: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A relative `dataset:` path in a scenario file names a file next to that file (as in the README's example);
    a path that exists only from the current directory, an absolute path or a URL is kept as written."""
    dataset = values.get("dataset")
    if dataset is None:
        return values

    def near(p: Any) -> Any:
        if not isinstance(p, str) or "://" in p or Path(p).is_absolute() or any(c in p for c in "*?["):
            return p
        beside = folder / p
        return str(beside) if beside.exists() or not Path(p).exists() else p

    return values | {"dataset": [near(p) for p in dataset] if isinstance(dataset, list) else near(dataset)}


def published_run(model_id: str) -> str:
    """What the model's builders reported for the real run, when the validation set holds it: a reader can set the
    estimate beside it (`estimator validate` scores the rules on that run's own inputs)."""
    from estimator.planning.validation import load_cases

    runs = [c for c in load_cases() if c.get("kind") == "gpu_hours" and c.get("model") == model_id
            and not c.get("covers")]
    if not runs:
        return ""
    c = runs[0]
    return (f". The published run reported {c['reported']:,.0f} {c['gpu']} GPU-hours ({c['source']}); this route's "
            "GPU count and settings differ from that run's, and `estimator validate` (docs/validation.md) shows how far "
            "the rules land on it")

