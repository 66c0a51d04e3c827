"""The worked example in docs/survival.md runs as printed."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "survival.md"


def test_docs_example_runs():
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    assert namespace["p_death"].shape == (1000, 420)
    assert namespace["table"]["aic"].is_monotonic_increasing
