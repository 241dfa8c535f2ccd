"""Stakeholder HTML report of a Comparison: summary, scenario table, plotly charts, sources, method."""

from estimator.present.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]
