"""Package data: bundled model, hardware and assumption tables (YAML)."""
