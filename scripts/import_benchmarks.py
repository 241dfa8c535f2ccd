"""Regenerate estimator/data/validation/benchmarks.yaml from the team's reference set (dev-time only:
the package reads the generated file, never ../shared). Run from the repo: python scripts/import_benchmarks.py"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference" / "validation-dev.yaml"
GPUS = {"H100-80GB": "h100-sxm", "A100-80GB": "a100-80gb", "A100-40GB": "a100-40gb", "A100": "a100-80gb"}


def main() -> None:
    entries = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))["entries"]
    out = []
    for e in entries:
        if not e["id"].startswith("bench-") or not e.get("gpu_count") or not e.get("mfu"):
            continue
        extra = e.get("extra") or {}
        model = {"params": float(e["params_total"])}
        for key in ("layers", "hidden", "heads"):
            if extra.get(key):
                model[key] = int(extra[key])
        out.append({
            "id": e["id"].removeprefix("bench-"),
            "model": model,
            "gpu": GPUS[e["gpu"]],
            "gpus": int(e["gpu_count"]),
            "seq_len": int(e.get("seq_len") or 2048),
            "dtype": "fp8" if "fp8" in str(extra.get("precision", "")) else "bf16",
            "reported_mfu": float(e["mfu"]),
            "convention": ("MFU includes attention FLOPs" if "llmfoundry" in e["id"] else
                           "Megatron: % of peak with full recomputation (HFU-like)" if "megatron-a100" in e["id"]
                           and "seqpar" not in e["id"] else "MFU, attention and logits included"),
            "source": e["source"],
        })
    path = ROOT / "estimator" / "data" / "validation" / "benchmarks.yaml"
    header = ("# Steady-state throughput benchmarks (Megatron-LM, llm-foundry), from the team's reference set\n"
              "# (validation-dev.yaml). Reported figures are short-run MFU in each source's own convention;\n"
              "# `estimator validate` compares them with the default all-in utilisation and does not score them.\n"
              "# Regenerate with scripts/import_benchmarks.py.\n")
    path.write_text(header + yaml.safe_dump({"benchmarks": out}, sort_keys=False, width=120), encoding="utf-8")
    print(f"{len(out)} benchmarks -> {path}")


if __name__ == "__main__":
    main()
