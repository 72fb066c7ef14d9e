"""Every exercise of every notebook (found by glob): its checker accepts the worked solution and, for the
exercise as handed out, says it is not attempted yet and gives a hint."""

import ast

import pytest

from course_code import ROOT, notebook_namespace
from coursetools import notebooks
from exercise_checks import not_attempted, verdict


def exercises():
    """(notebook, checker name, exercise function name) for every cell tagged 'exercise'."""
    found = []
    for path in notebooks.all_notebooks():
        if path.parent.name == "solutions":
            continue
        for cell in notebooks.tagged_cells(notebooks.read_nb(path), "exercise"):
            tree = ast.parse(notebooks.cell_source(cell))
            call = tree.body[-1].value  # the cell ends with check_...(exercise_function)
            found.append((path.relative_to(ROOT).as_posix(), call.func.id, call.args[0].id))
    return found


EXERCISES = exercises()


def test_exercises_are_found():
    assert len(EXERCISES) >= 3


@pytest.mark.parametrize("notebook,checker,function", EXERCISES, ids=[f"{n}:{f}" for n, _, f in EXERCISES])
def test_worked_solution_passes_and_blank_exercise_gets_a_hint(capsys, notebook, checker, function):
    solutions = notebook.replace("notebooks/", "notebooks/solutions/").replace(".ipynb", "_solutions.ipynb")
    solution = notebook_namespace(solutions, extra_tags=("solution",))[function]
    check = notebook_namespace(notebook)[checker]
    passed, out = verdict(capsys, check, solution)
    assert passed, f"{checker} rejects the worked solution: {out}"
    passed, out = verdict(capsys, check, not_attempted)
    assert not passed and "not attempted yet. Hint:" in out
