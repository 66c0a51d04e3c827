"""Each reproduction page under docs/reproductions runs, and prints the published numbers."""

import contextlib
import io
import re
from pathlib import Path

import pytest

PAGES = Path(__file__).resolve().parents[2] / "docs" / "reproductions"


def blocks(text: str, lang: str) -> list[str]:
    """Fenced blocks whose opening fence names ``lang`` ('' for a plain block)."""
    return [body for tag, body in re.findall(r"^```(\w*)\n(.*?)^```$", text, flags=re.S | re.M)
            if tag == lang]


def run_page(name: str) -> tuple[str, str]:
    text = (PAGES / name).read_text(encoding="utf-8")
    code = blocks(text, "python")
    assert len(code) == 1, f"{name}: expected one python block"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code[0], str(PAGES / name), "exec"), {"__name__": "__page__"})
    return out.getvalue(), text


def test_chancellor_hiv_page_prints_the_published_numbers():
    printed, text = run_page("chancellor_hiv.md")
    # Briggs, Claxton & Sculpher (2006) Exercise 2.5: published values
    rows = re.findall(r"^(\w+): life-years ([\d.]+), cost GBP ([\d,]+)$", printed, re.M)
    arms = {a: (float(ly), float(c.replace(",", ""))) for a, ly, c in rows}
    assert arms["monotherapy"][0] == 7.991
    assert arms["combination"][0] == 8.937
    assert arms["monotherapy"][1] == 44663
    assert arms["combination"][1] == pytest.approx(50602, abs=2)  # book: rounded tables
    icer = float(re.search(r"ICER: GBP ([\d,]+) per life-year gained", printed)[1]
                 .replace(",", ""))
    assert icer == pytest.approx(6276, abs=2)
    # the page shows exactly what its code prints
    shown = blocks(text, "")
    assert printed.strip() in [b.strip() for b in shown]
