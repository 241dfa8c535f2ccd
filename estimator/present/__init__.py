"""Rendering results: terminal tables, CSV/JSON, and the HTML report. Nothing here computes a quantity."""
