"""docs/rules.md: every registered formula (name, formula, unit, inputs, source), generated from the registry."""

from __future__ import annotations

HEADER = """# Rules

Every quantity the estimator computes comes from one of these rules: a small pure function
named after the quantity, with its formula, unit, inputs and source. Generated from the rule
registry by `estimator catalog rules --output docs/rules.md`; a test fails when this file is stale.
Quantities that are not computed here come from the catalog tables (docs/catalog.md) or the
assumption tables (`estimator catalog assumptions`), each with a source and a date.
"""


def rule_rows() -> list[dict[str, str]]:
    from estimator.rules import REGISTRY

    return [{"quantity": r.name, "unit": r.unit, "inputs": ", ".join(r.inputs), "formula": r.formula,
             "source": r.source, "module": r.func.__module__.rsplit(".", 1)[-1]} for r in REGISTRY.rules.values()]


def rules_markdown() -> str:
    """The whole of docs/rules.md, one section per rule module."""
    rows = rule_rows()
    lines = [HEADER]
    for module in dict.fromkeys(r["module"] for r in rows):
        lines += [f"## {module}", "", "| quantity | unit | formula | inputs | source |", "|---|---|---|---|---|"]
        for r in rows:
            if r["module"] == module:
                cells = [f"`{r['quantity']}`", r["unit"], r["formula"], r["inputs"], r["source"]]
                lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)
