"""Package data: bundled price tables (YAML), mapped into the wheel as estimator.pricing."""
