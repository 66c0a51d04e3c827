"""Manifest paths carry no machine folders: relative to the run folder, the project or the
working directory, else the bare file name."""

from pathlib import Path

from hecon import manifest as M


def test_portable_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert M.portable(M.PROJECT / "inputs" / "danger_shock" / "clinical.csv") == \
        "inputs/danger_shock/clinical.csv"
    run = tmp_path / "runs" / "r1"
    assert M.portable(run / "parameters.csv", root=run) == "parameters.csv"
    assert M.portable(tmp_path / "my" / "table.csv") == "my/table.csv"  # under the cwd
    assert M.portable("rel/table.csv") == "rel/table.csv"
    outside = Path("/nonexistent-hecon-folder/deep/table.csv")
    assert M.portable(outside) == "table.csv"


def test_portable_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cmd = ["hecon", "run", "--out", str(tmp_path / "o"), f"--inputs={tmp_path / 'p.csv'}",
           "-n", "10"]
    assert M.portable_command(cmd) == ["hecon", "run", "--out", "o", "--inputs=p.csv", "-n",
                                       "10"]


def test_manifest_records_relative_inputs_and_scenarios(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sc = M.PROJECT / "scenarios" / "discount_none.yaml"
    files = [M.PROJECT / "inputs" / "danger_shock" / "clinical.csv", sc]
    m = M.manifest(["hecon", "run"], files)
    assert set(m["inputs"]) == {"inputs/danger_shock/clinical.csv", "scenarios/discount_none.yaml"}
    assert m["scenarios"] == {"scenarios/discount_none.yaml": M.sha256(sc)}
    assert str(M.PROJECT) not in str(m)


def test_input_frame_reads_back(tmp_path):
    from hecon.models.danger_shock.config import ModelConfig
    from hecon.models.danger_shock.model import DangerShockModel
    from hecon.parameters import ParameterTable

    table = DangerShockModel.build(ModelConfig(country="uk")).table
    f = tmp_path / "p.csv"
    M.input_frame(table, "uk").to_csv(f, index=False)
    back = ParameterTable.read(f, country="uk")
    assert back.names == table.names
    assert back.base_values() == table.base_values()  # exact: CSV keeps full precision
    assert [p.dist.kind for p in back] == [p.dist.kind for p in table]
