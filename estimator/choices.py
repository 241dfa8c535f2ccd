"""Every closed set of names a setting may take, in one place (CLI, tables and rules import them from here)."""

from __future__ import annotations

from estimator.errors import ConfigurationError, close_matches

METHODS = ("pretrain", "full", "lora", "qlora", "api")
GPU_METHODS = METHODS[:4]
TIERS = ("on_demand", "spot", "reserved", "capacity_block")
ENCODINGS = ("cl100k_base", "o200k_base", "p50k_base", "r50k_base")  # bundled tiktoken encodings
FORMATS = ("table", "json", "csv", "markdown")  # what every command prints
TABLE_FILES = (".csv", ".json", ".xlsx")  # what `compare --output` writes
PLOTLYJS = ("inline", "cdn")
STACKS = ("hf", "unsloth", "torchtune", "nemo", "axolotl")
OPTIMIZERS = ("adamw", "adamw_bf16", "adamw_8bit", "paged_adamw", "paged_adamw_8bit", "adafactor", "sgd")
PAGED_OPTIMIZERS = ("paged_adamw", "paged_adamw_8bit")
MASTER_WEIGHTS = ("fp32", "none")
RECOMPUTE = ("none", "selective", "full")
ATTENTION = ("flash", "eager")
LOSS = ("standard", "chunked")
OFFLOAD = ("none", "optimizer", "optimizer+params")
QLORA_EMBEDDINGS = ("bf16", "4bit")
DTYPES = ("bf16", "fp16", "fp8", "tf32", "fp32")
# LoRA targets: presets, or a comma-separated list of Llama-style module names
LORA_PRESETS = ("all-linear", "attention", "mlp", "qv")
LORA_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
LORA_PRESET_MODULES = {
    "qv": ("q_proj", "v_proj"),
    "attention": ("q_proj", "k_proj", "v_proj", "o_proj"),
    "mlp": ("gate_proj", "up_proj", "down_proj"),
    "all-linear": LORA_MODULES,
}
MODULE_ALIASES = {"output_proj": "o_proj", "w1": "gate_proj", "w3": "up_proj", "w2": "down_proj",
                  "fc1": "up_proj", "fc2": "down_proj"}

# settings whose value is a name from a closed set (the assumption tables of the same name list them too)
CHOICES: dict[str, tuple[str, ...]] = {
    "stack": STACKS,
    "optimizer": OPTIMIZERS,
    "master_weights": MASTER_WEIGHTS,
    "activation_recompute": RECOMPUTE,
    "attention": ATTENTION,
    "loss": LOSS,
    "offload": OFFLOAD,
    "qlora_embeddings": QLORA_EMBEDDINGS,
    "dtype": DTYPES,
}


def lora_modules(targets: str) -> tuple[str, ...]:
    """Module names of a LoRA target preset or comma-separated list ('q_proj,v_proj'; torchtune's names accepted)."""
    if targets in LORA_PRESET_MODULES:
        return LORA_PRESET_MODULES[targets]
    names = [MODULE_ALIASES.get(t.strip(), t.strip()) for t in str(targets).strip("[]").replace("'", "").split(",")]
    for name in names:
        if name not in LORA_MODULES:
            close = close_matches(name, [*LORA_PRESETS, *LORA_MODULES], n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ConfigurationError(f"lora_targets={targets!r}: unknown choice '{name}' (presets {', '.join(LORA_PRESETS)}, or a "
                                     f"comma-separated list of {', '.join(LORA_MODULES)}){hint}")
    return tuple(dict.fromkeys(names))


def normalize_lora_targets(value: str) -> str:
    """A preset stays a preset; a module list becomes its canonical comma-separated form (or the preset it equals)."""
    if value in LORA_PRESET_MODULES:
        return value
    modules = lora_modules(value)
    for preset, mods in LORA_PRESET_MODULES.items():
        if set(mods) == set(modules):
            return preset
    return ",".join(m for m in LORA_MODULES if m in modules)


def check_choice(name: str, value: object, choices: tuple[str, ...] | list[str], where: str = "--set") -> str:
    """The value as a string if it is one of `choices`, else a one-line error with close matches."""
    text = str(value)
    if text in choices:
        return text
    close = close_matches(text, list(choices), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ConfigurationError(f"{where} {name}={text!r}: unknown choice (choices: {', '.join(choices)}){hint}")
