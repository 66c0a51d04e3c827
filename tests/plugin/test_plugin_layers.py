"""The generic layers (engine, analysis, report, CLI, runner, run folders) never import a
particular model: the brief's rule, checked on the source (static) and at run time (a plug-in
model runs from the command line without any flagship module being imported)."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERIC = [*(ROOT / "hecon").glob("*.py"), *(ROOT / "hecon" / "engine").rglob("*.py"),
           *(ROOT / "hecon" / "analysis").rglob("*.py"), *(ROOT / "hecon" / "report").rglob("*.py"),
           *(ROOT / "hecon" / "survival").rglob("*.py")]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_no_generic_module_imports_a_model():
    assert len(GENERIC) > 20  # the glob found the package
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p)
                                                  if m.startswith("hecon.models"))
                 for p in GENERIC}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_a_plugin_model_runs_without_loading_the_flagship(tmp_path):
    code = (
        "import sys\n"
        "from hecon.cli import main\n"
        f"rc = main(['run', '--model', {str(ROOT / 'examples' / 'three_state.py')!r}, "
        f"'--analyses', 'base', '--quiet', '--out', {str(tmp_path / 'run')!r}])\n"
        "assert rc == 0, rc\n"
        "loaded = [m for m in sys.modules if m.startswith('hecon.models.danger_shock')]\n"
        "assert not loaded, loaded\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
