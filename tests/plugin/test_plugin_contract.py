"""The plug-in contract: a model that breaks it is refused with a message naming the file and
what to add or fix, through the API and through the command line (one line, exit code 2)."""

import textwrap

import pytest

from hecon.cli import main
from hecon.errors import InputError
from hecon.plugin import SetInfo, load_plugin, validate_plugin

GOOD = '''
from pathlib import Path

from hecon.engine import C, MarkovModel, State
from hecon.parameters import ParameterTable
from hecon.plugin import ModelPlugin, SetInfo


class Toy(ModelPlugin):
    name = "toy"
    title = "Toy model"
    question = "Is B better than A?"

    def sets(self):
        return {"main": SetInfo("main", "Main", "EUR", [10_000.0])}

    def parameter_table(self, set_key, inputs=None):
        raise NotImplementedError

    def strategies(self, config, table):
        return []
'''


def write(tmp_path, text, name="model.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize("tail, words", [
    ("", "defines no model plug-in: add a module-level HECON_MODEL"),
    ("HECON_MODEL = Toy", "HECON_MODEL is a class (Toy); it must be an instance"),
    ("HECON_MODEL = object()", "lacks name, title, question, sets, parameter_table, "
     "strategies"),
    ("class T2(Toy):\n    title = ''\nHECON_MODEL = T2()", "'title' must be non-empty text"),
    ("class T2(Toy):\n    sets = 3\nHECON_MODEL = T2()", "'sets' must be a method"),
    ("class T2(Toy):\n    def sets(self):\n        return {}\nHECON_MODEL = T2()",
     "sets() must return a non-empty mapping"),
    ("class T2(Toy):\n    def sets(self):\n        return {'a': SetInfo('b', 'B', 'EUR', [1.0])}"
     "\nHECON_MODEL = T2()", "set 'a' has SetInfo.key 'b'; they must agree"),
    ("class T2(Toy):\n    def sets(self):\n        return {'a': SetInfo('a', 'A', 'EUR', [])}"
     "\nHECON_MODEL = T2()", "willingness-to-pay thresholds must be a non-empty list"),
    ("class T2(Toy):\n    def sets(self):\n        return {'a': SetInfo('a', 'A', 'EUR', [0.0])}"
     "\nHECON_MODEL = T2()", "positive amounts, got [0.0]"),
    ("class T2(Toy):\n    def sets(self):\n"
     "        return {'a b': SetInfo('a b', 'A', 'EUR', [1.0])}\nHECON_MODEL = T2()",
     "set key 'a b' must be letters, digits or '_'"),
    ("class T2(Toy):\n    def sets(self):\n        return {'a': ('a', 'EUR')}"
     "\nHECON_MODEL = T2()", "must give hecon.plugin.SetInfo objects, got tuple"),
    ("raise RuntimeError('boom')", "importing the model failed: RuntimeError: boom"),
])
def test_contract_violations_name_file_and_fix(tmp_path, capsys, tail, words):
    path = write(tmp_path, GOOD + "\n" + tail + "\n")
    with pytest.raises(InputError) as exc:
        load_plugin(str(path))
    assert words in str(exc.value)
    assert str(path) in str(exc.value)
    rc = main(["run", "--model", str(path), "--analyses", "base", "--out",
               str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and words in err
    assert not (tmp_path / "out").exists()  # nothing written


def test_unknown_name_suggests_the_registered_one(capsys):
    with pytest.raises(InputError, match=r"unknown model 'danger_shok' \(did you mean "
                                         r"'danger_shock'\?\); registered models: "):
        load_plugin("danger_shok")
    assert main(["run", "--model", "danger_shok", "--analyses", "base"]) == 2
    assert "give the path of a .py file or package defining HECON_MODEL" in \
        capsys.readouterr().err


def test_missing_path(tmp_path):
    with pytest.raises(InputError, match="model file or folder not found"):
        load_plugin(str(tmp_path / "nope.py"))


def test_package_without_init(tmp_path):
    (tmp_path / "pkg").mkdir()
    with pytest.raises(InputError, match="a model package folder needs an __init__.py"):
        load_plugin(str(tmp_path / "pkg"))


def test_validate_accepts_a_duck_typed_object():
    class Duck:
        name, title, question = "duck", "Duck model", "Quack?"

        def sets(self):
            return {"x": SetInfo("x", "X", "USD", [50_000.0, 100_000.0])}

        def parameter_table(self, set_key, inputs=None):
            return None

        def strategies(self, config, table):
            return []

    d = Duck()
    assert validate_plugin(d, "here") is d
