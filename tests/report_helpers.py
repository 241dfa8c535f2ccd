"""Helpers the report tests share: pull one <section> out of a rendered report."""

import re


def section(text: str, name: str) -> str:
    """The inner HTML of <section id="name">; fails the test when the report has no such section."""
    m = re.search(rf'<section id="{name}">(.*?)</section>', text, re.S)
    assert m, f"no section {name}"
    return m.group(1)
