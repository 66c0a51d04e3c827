"""Discovery of a model: by registered name (the flagship, the default), by entry point of an
installed package (group hecon.models), by the path of a .py file or of a package folder."""

import importlib.metadata
import textwrap

from hecon.plugin import ENTRY_POINT_GROUP, load_plugin, registered_names

TOY = textwrap.dedent('''
    from hecon.plugin import ModelPlugin, SetInfo

    print("imported")  # a model file may print when imported; loading it is quiet


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


    HECON_MODEL = Toy()
''')


def test_default_and_name_give_the_flagship():
    from hecon.models.danger_shock.plugin import HECON_MODEL, DangerShockPlugin

    assert load_plugin() is HECON_MODEL
    assert isinstance(load_plugin("danger_shock"), DangerShockPlugin)
    assert list(load_plugin().sets()) == ["dk", "uk"]
    assert "danger_shock" in registered_names()


def test_path_to_file_is_quiet(tmp_path, capsys):
    (tmp_path / "toy.py").write_text(TOY)
    p = load_plugin(str(tmp_path / "toy.py"))
    assert p.name == "toy"
    assert capsys.readouterr().out == ""


def test_path_to_package(tmp_path):
    (tmp_path / "toypkg").mkdir()
    (tmp_path / "toypkg" / "__init__.py").write_text(TOY)
    assert load_plugin(str(tmp_path / "toypkg")).title == "Toy model"


def test_entry_point(tmp_path, monkeypatch):
    (tmp_path / "toy_entry_mod.py").write_text(TOY)
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = [importlib.metadata.EntryPoint("toy", "toy_entry_mod:HECON_MODEL", ENTRY_POINT_GROUP),
           importlib.metadata.EntryPoint("toymod", "toy_entry_mod", ENTRY_POINT_GROUP)]

    def fake(group=None, **kw):
        return [e for e in eps if e.group == group]

    monkeypatch.setattr(importlib.metadata, "entry_points", fake)
    assert load_plugin("toy").name == "toy"
    assert load_plugin("toymod").name == "toy"  # an entry point naming the module
    assert {"toy", "toymod", "danger_shock"} <= set(registered_names())
