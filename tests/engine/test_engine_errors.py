"""Typed engine errors: each names the problem and the fix (the messages are asserted)."""

import numpy as np
import pytest

from hecon.engine import (
    Branch,
    C,
    Chance,
    Hybrid,
    MarkovModel,
    ParamView,
    Settings,
    State,
    Terminal,
    evaluate,
)
from hecon.errors import (
    InputError,
    ModelError,
    ModelSpecError,
    UnknownParameterAttributeError,
    UnknownParameterError,
)


def model(**kw):
    args = dict(
        name="m", states=["well", State("dead", dead=True)],
        transitions=lambda p, t: {("well", "dead"): 0.1, ("well", "well"): C},
        start={"well": 1.0}, n_cycles=2,
    )
    args.update(kw)
    return MarkovModel(**args)


def test_bare_tree_passed_to_evaluate():
    tree = Chance("acute", [Branch("dies", p=0.1, then=Terminal("dead")),
                            Branch("lives", p=C, then=Terminal("well"))])
    with pytest.raises(ModelSpecError, match=r"strategy 1 of 1 is a bare decision tree \(Chance "
                       r"'acute'\); wrap it in a strategy: Hybrid\(name='...', tree=tree\)"):
        evaluate([tree], {})
    with pytest.raises(ModelSpecError, match="bare decision tree"):
        evaluate(tree, {})
    with pytest.raises(ModelSpecError, match=r"strategy 2 of 2 is str 'x', not a strategy; give "
                       "a MarkovModel, PartitionedSurvivalModel, Hybrid or Mixture"):
        evaluate([model(), "x"], {})
    # wrapped, it runs: the tree alone
    r = evaluate([Hybrid(name="tree", tree=tree)], {}, Settings())
    assert r.column("tree", "p_end_dead")[0] == pytest.approx(0.1)


def test_costs_without_category_level():
    m = model(costs=lambda p, t: {"well": 100.0})
    with pytest.raises(ModelSpecError, match=r"strategy 'm', costs: costs need a category level: "
                       r"\{category: \{state: amount\}\}, but 'well' maps to float 100\.0; write "
                       r"e\.g\. \{'care': \{'well': \.\.\.\}\}"):
        evaluate([m], {})
    m = model(transition_costs=lambda p, t: {("well", "dead"): 100.0})
    with pytest.raises(ModelSpecError, match=r"transition costs: costs need a category level"):
        evaluate([m], {})
    m = model(utilities=lambda p, t: {"qaly": {"well": 0.8}})
    with pytest.raises(ModelSpecError, match=r"unknown state 'qaly'"):
        evaluate([m], {})
    m = model(utilities=lambda p, t: {"well": {"a": 0.8}})
    with pytest.raises(ModelSpecError, match=r"state 'well' maps to dict .* a mapping; give one "
                       "value per state"):
        evaluate([m], {})
    m = model(start_costs=lambda p: 500.0)
    with pytest.raises(ModelSpecError, match=r"start costs: expected a mapping category -> "
                       r"amount, got float 500\.0; write e\.g\. \{'procedure': 25000\}"):
        evaluate([m], {})


def test_numpy_matrix_as_transitions():
    P = np.array([[0.9, 0.1], [0.0, 1.0]])
    m = model(transitions=lambda p, t: P)
    with pytest.raises(ModelSpecError, match=r"strategy 'm', cycle 1: transitions must return a "
                       r"mapping \{\(from, to\): probability\}, got a numpy array of shape "
                       r"\(2, 2\); .*from a matrix P whose rows and columns follow the states "
                       r"\['well', 'dead'\]"):
        evaluate([m], {})
    # the fix in the message works
    names = ["well", "dead"]
    fixed = model(transitions=lambda p, t: {(a, b): P[i, j] for i, a in enumerate(names)
                                            for j, b in enumerate(names)})
    assert evaluate([fixed], {}, Settings()).trace("m")["well"].iloc[-1] == pytest.approx(0.81)


def test_unknown_parameter_is_typed_and_still_a_key_error():
    p = ParamView({"p_die": 0.1})
    with pytest.raises(UnknownParameterError, match=r"unknown parameter 'p_dei'; did you mean "
                       r"'p_die'\?; add it to the parameter table") as ei:
        p["p_dei"]
    assert ei.value.parameter == "p_dei"
    assert isinstance(ei.value, (KeyError, InputError))
    with pytest.raises(UnknownParameterAttributeError) as ei:
        _ = p.p_dei
    assert isinstance(ei.value, AttributeError) and ei.value.parameter == "p_dei"
    assert not hasattr(p, "nothing") and getattr(p, "nothing", 1) == 1 and p.get("x") is None
    m = model(transitions=lambda p, t: {("well", "dead"): p.p_dei, ("well", "well"): C})
    with pytest.raises(UnknownParameterError, match="unknown parameter 'p_dei'"):
        evaluate([m], p)


def test_parameter_shapes():
    with pytest.raises(InputError, match=r"parameter arrays have different lengths \(2: a; 3: "
                       r"b\); give every parameter one value per sample"):
        ParamView({"a": [1.0, 2.0], "b": [1.0, 2.0, 3.0], "c": 1.0})
    with pytest.raises(InputError, match=r"parameter 'a': value has shape \(2, 2\); give one "
                       "number, or a 1-D array"):
        ParamView({"a": np.ones((2, 2))})
    with pytest.raises(InputError, match=r"parameter 'a': value 'x' is not a number"):
        ParamView({"a": "x"})


def test_errors_are_model_or_input_errors():
    assert issubclass(ModelSpecError, ModelError) and issubclass(UnknownParameterError,
                                                                  InputError)


def test_typed_errors_survive_pickling():
    # the processes backend sends a worker's error back pickled
    import pickle

    e = pickle.loads(pickle.dumps(UnknownParameterAttributeError("unknown parameter 'x'",
                                                                 parameter="x")))
    assert isinstance(e, AttributeError) and e.parameter == "x"
    assert str(e) == "unknown parameter 'x'"
    e = pickle.loads(pickle.dumps(ModelSpecError("bad model")))
    assert isinstance(e, ModelSpecError) and str(e) == "bad model"


def test_psm_curve_drop_costs_need_a_category():
    from hecon.engine import PartitionedSurvivalModel

    m = PartitionedSurvivalModel(name="ps", states=["a", "d"], n_cycles=2,
                                 curves=lambda p, t: [np.exp(-0.1 * t)[None, :]],
                                 curve_drop_costs=lambda p: [5000.0])
    with pytest.raises(ModelSpecError, match=r"curve drop costs: expected a mapping category -> "
                       r"one value per curve .* write e\.g\. \{'death': \[None, 5000\]\}"):
        evaluate([m], {})
