"""map_tasks: independent tasks in this process or on the shared process pool give the same
results in task order, report each finished task, and raise a task's error here."""

import operator

import pytest

from hecon import parallel as par
from hecon.errors import InputError

TASKS = [(2, 10), (3, 4), (7, 2), (5, 3)]
POWERS = [1024, 81, 49, 125]  # 2^10, 3^4, 7^2, 5^3 by hand


@pytest.mark.parametrize("backend", ["inprocess", "processes"])
def test_results_in_task_order_and_each_task_reported(backend):
    done = []
    out = par.map_tasks(pow, TASKS, backend=backend, workers=2, on_done=done.append,
                        first=[3, 1])
    assert out == POWERS
    assert sorted(done) == [0, 1, 2, 3]
    if backend == "inprocess":
        assert done == [0, 1, 2, 3]


def test_pool_is_the_shared_one():
    par.map_tasks(pow, TASKS, backend="processes", workers=2)
    pool = par._pool
    assert pool is not None and par._pool_size == 2
    assert par.map_tasks(pow, TASKS, backend="processes", workers=2) == POWERS
    assert par._pool is pool  # reused


@pytest.mark.parametrize("backend", ["inprocess", "processes"])
def test_error_of_a_task_is_raised_here(backend):
    with pytest.raises(ZeroDivisionError):
        par.map_tasks(operator.truediv, [(1, 2), (1, 0), (3, 4)], backend=backend, workers=2)


def test_bad_arguments():
    assert par.map_tasks(pow, []) == []
    with pytest.raises(InputError, match="not 'dask'"):
        par.map_tasks(pow, TASKS, backend="dask")
    with pytest.raises(InputError, match="task indices"):
        par.map_tasks(pow, TASKS, first=[4])
    with pytest.raises(InputError, match="workers"):
        par.map_tasks(pow, TASKS, workers=0)
