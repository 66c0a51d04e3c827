"""The README's example runs as printed, and its printed numbers are recomputed by hand."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def readme_blocks():
    text = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    printed = re.search(r"prints\n\n```\n(.*?)```", text, re.S).group(1)
    return code, printed


def test_readme_example_is_the_example_script():
    code, _ = readme_blocks()
    script = (ROOT / "examples" / "three_state.py").read_text()
    assert code.strip() in script


def hand_model(treated: bool):
    """The README model as a plain loop: life-table counting, 3.5% at cycle start."""
    p_sick = 0.10 * (0.7 if treated else 1.0)
    P = np.array([[1 - p_sick - 0.02, p_sick, 0.02], [0, 1 - 0.06, 0.06], [0, 0, 1]])
    cost_v = np.array([1500.0 if treated else 0.0, 2000.0, 0.0])
    util_v = np.array([0.9, 0.6, 0.0])
    alive_v = np.array([1.0, 1.0, 0.0])
    m = np.array([1.0, 0, 0])
    c = q = ly = 0.0
    for k in range(40):
        nxt = m @ P
        avg = (m + nxt) / 2 / 1.035**k
        c, q, ly = c + avg @ cost_v, q + avg @ util_v, ly + avg @ alive_v
        m = nxt
    return c, q, ly


def test_readme_printed_numbers_match_a_hand_calculation():
    _, printed = readme_blocks()
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "three_state.py")],
                         capture_output=True, text=True, check=True).stdout
    assert [line.split() for line in out.strip().splitlines()] == [
        line.split() for line in printed.strip().splitlines()]
    rows = {" ".join(line.split()[:-3]): [float(x) for x in line.split()[-3:]]
            for line in printed.splitlines()[2:4]}
    for name, treated in (("usual care", False), ("new drug", True)):
        np.testing.assert_allclose(rows[name], hand_model(treated), atol=0.005)
    (c0, q0, _), (c1, q1, _) = hand_model(False), hand_model(True)
    icer = int(re.search(r"ICER: ([\d,]+)", printed).group(1).replace(",", ""))
    assert icer == round((c1 - c0) / (q1 - q0))
