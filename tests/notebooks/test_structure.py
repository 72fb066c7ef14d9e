"""Structure checks over every notebook, lesson and solution (CONTRIBUTING.md)."""

import ast
import re
import sys

import pytest
from conftest import ROOT

from coursetools import badges, notebooks, settings

NOTEBOOKS = notebooks.all_notebooks()
MAIN = [p for p in NOTEBOOKS if p.parent.name != "solutions"]
SOLUTIONS = [p for p in NOTEBOOKS if p.parent.name == "solutions"]
LESSONS = sorted(p for p in (ROOT / "lessons").glob("*.md") if p.name != "README.md")
# What a stock Colab runtime has without installing anything, as far as this course needs. JAX and PyTorch are
# imported only inside the code for their own backend (`gradients`, notebook 02's side-by-side cell); fontTools is a
# requirement of Matplotlib.
COLAB_PACKAGES = {"numpy", "tensorflow", "keras", "matplotlib", "jax", "torch", "fontTools"}


def ids(paths):
    return [p.relative_to(ROOT).as_posix() for p in paths]


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code" and notebooks.cell_source(c).strip()]


def test_the_course_has_notebooks_lessons_and_solutions():
    assert MAIN and SOLUTIONS and LESSONS
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name) for p in MAIN), "notebooks are named NN_topic.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_one_h1_title_first(path):
    nb = notebooks.read_nb(path)
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown" and notebooks.cell_source(first).startswith("# ")
    markdown = "\n".join(notebooks.cell_source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    markdown = re.sub(r"```.*?```", "", markdown, flags=re.S)  # '# comment' lines inside code blocks are not titles
    assert len(re.findall(r"^# ", markdown, flags=re.M)) == 1, "exactly one H1 title"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_colab_badge_points_at_this_notebook(path):
    nb = notebooks.read_nb(path)
    cell = nb["cells"][badges.badge_cell_index(nb)]
    conf = settings()
    assert notebooks.cell_source(cell) == badges.badge_markdown(path, conf["repository"], conf["branch"]), (
        "badge row is stale: run `python3 course.py badges`"
    )
    rel = path.relative_to(ROOT).as_posix()
    assert (
        f"colab.research.google.com/github/{conf['repository']}/blob/{conf['branch']}/{rel}"
        in notebooks.cell_source(cell)
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_imports_only_what_colab_preinstalls(path):
    allowed = COLAB_PACKAGES | set(sys.stdlib_module_names)
    for cell in code_cells(notebooks.read_nb(path)):
        tree = ast.parse(notebooks.cell_source(cell))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                assert module.split(".")[0] in allowed, f"{module} is not preinstalled on Colab"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_stored_outputs_come_from_one_clean_run(path):
    cells = code_cells(notebooks.read_nb(path))
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), "re-execute with `python3 course.py execute`"
    for cell in cells:
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"stored error: {out.get('ename')}"
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), f"stored stderr: {out['text']}"
            assert not re.search(r"(/home/|/root/|/tmp/|/Users/|/work/)", str(out)), "an output shows a local path"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_no_run_timestamps_are_stored(path):
    """`course.py execute` drops the kernel's per-cell timestamps, which would change every diff."""
    for cell in notebooks.read_nb(path)["cells"]:
        assert "execution" not in cell.get("metadata", {}), "re-execute with `python3 course.py execute`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_every_code_cell_is_compared(path):
    for cell in code_cells(notebooks.read_nb(path)):
        tags = cell.get("metadata", {}).get("tags", [])
        source = notebooks.cell_source(cell)
        assert not ({"nbval-skip", "nbval-ignore-output"} & set(tags)) and "NBVAL_" not in source, source[:80]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_setup_prints_versions_and_seeds(path):
    setup = notebooks.tagged_cells(notebooks.read_nb(path), "setup")
    assert len(setup) == 1
    source = notebooks.cell_source(setup[0])
    assert "set_random_seed" in source and "enable_op_determinism" in source and "__version__" in source
    # Equality checks at float32 round-off need exact products on Ampere and newer GPUs (Colab's A100 and L4).
    assert "tf.config.experimental.enable_tensor_float_32_execution(False)" in source
    # The course runs on TensorFlow unless the learner chose a backend before starting the kernel.
    backend = 'os.environ.setdefault("KERAS_BACKEND", "tensorflow")'
    assert backend in source and source.index(backend) < source.index("import keras")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_hidden_cells_are_hidden_in_jupyterlab_and_in_colab(path):
    nb = notebooks.read_nb(path)
    for cell in nb["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        hidden = cell.get("metadata", {}).get("jupyter", {}).get("source_hidden", False)
        if notebooks.CARRIED_TAG in tags:
            assert hidden, "carried-over cells start collapsed"
        if hidden:
            assert cell["metadata"].get("colab", {}).get("cellView") == "form", "Colab hides a cell as a form"
            assert notebooks.cell_source(cell).startswith("#@title "), "a Colab form shows its #@title line"


TIMING_NAME = re.compile(r"second|elapsed|duration|timing|wall|per_epoch|trace_time|speed|ratio_time", re.I)


def wall_clock_assertions(source):
    """The assert statements in source that look at a timing: perf_counter/time() or a name that holds seconds."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assert):
            text = ast.unparse(node)
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
                n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
            }
            if "perf_counter" in text or "time.time" in text or any(TIMING_NAME.search(n) for n in names):
                found.append(text)
    return found


def test_the_wall_clock_check_can_fail():
    assert wall_clock_assertions('assert seconds["GRU"] < 2 * seconds["LSTM"]')
    assert wall_clock_assertions("assert time.perf_counter() - start < 5")
    assert not wall_clock_assertions("assert params == 1344 and accuracy > 0.9")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_no_assertion_on_wall_clock_time(path):
    for cell in code_cells(notebooks.read_nb(path)):
        assert not wall_clock_assertions(notebooks.cell_source(cell)), (
            "timings are printed, never asserted: speed claims belong to a benchmark script"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_carried_over_cells_are_identical_to_their_originals(path):
    for cell in notebooks.tagged_cells(notebooks.read_nb(path), notebooks.CARRIED_TAG):
        origin, names = notebooks.carried_names(cell)
        assert notebooks.cell_source(cell).splitlines()[0] == notebooks.CARRIED_HEADER.format(
            origin=origin, names=", ".join(names)
        ), "the visible title says what the cell's metadata records"
        assert notebooks.cell_source(cell) == notebooks.carried_source(origin, names), (
            f"carried-over copy of {names} from {origin} drifted: run `python3 course.py carry`"
        )


@pytest.mark.parametrize("path", MAIN, ids=ids(MAIN))
def test_every_notebook_has_a_lesson_and_a_readme_row(path):
    assert (ROOT / "lessons" / f"{path.stem}.md").exists()
    assert f"notebooks/{path.name}" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"{path.stem}.md" in (ROOT / "lessons" / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("lesson", LESSONS, ids=ids(LESSONS))
def test_every_lesson_has_a_notebook_and_the_required_sections(lesson):
    assert (ROOT / "notebooks" / f"{lesson.stem}.ipynb").exists()
    text = lesson.read_text(encoding="utf-8").lower()
    for section in [
        "objectives",
        "prerequisites",
        "common mistakes",
        "glossary",
        "exercises",
        "instructor notes",
        "further reading",
    ]:
        assert f"## {section}" in text or re.search(rf"^##.*{section}", text, flags=re.M), f"no '{section}' section"


@pytest.mark.parametrize("path", MAIN, ids=ids(MAIN))
def test_exercises_have_a_solutions_notebook(path):
    exercises = notebooks.tagged_cells(notebooks.read_nb(path), "exercise")
    solutions = ROOT / "notebooks" / "solutions" / f"{path.stem}_solutions.ipynb"
    assert exercises, "every notebook ends with self-checking exercises"
    assert solutions.exists()
    assert len(notebooks.tagged_cells(notebooks.read_nb(solutions), "solution")) == len(exercises)


@pytest.mark.parametrize("path", SOLUTIONS, ids=ids(SOLUTIONS))
def test_every_solutions_notebook_belongs_to_a_notebook(path):
    assert (ROOT / "notebooks" / path.name.replace("_solutions", "")).exists()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_every_cell_has_an_id(path):
    nb = notebooks.read_nb(path)
    cell_ids = [cell.get("id") for cell in nb["cells"]]
    assert all(cell_ids), "a cell without an id (nbformat 4.5): give it one, or re-save the notebook"
    assert len(set(cell_ids)) == len(cell_ids), "two cells share an id"


def exercise_texts(nb):
    """The markdown cell right above each exercise cell: the exercise's statement and hints."""
    cells = nb["cells"]
    return [
        notebooks.cell_source(cells[i - 1])
        for i, cell in enumerate(cells)
        if "exercise" in cell.get("metadata", {}).get("tags", [])
    ]


HINT = re.compile(r"<details><summary>Hint (\d)</summary>\n\n(.*?)\n\n</details>", flags=re.S)


@pytest.mark.parametrize("path", MAIN, ids=ids(MAIN))
def test_every_exercise_has_two_tiers_of_hints_that_do_not_give_the_code(path):
    for text in exercise_texts(notebooks.read_nb(path)):
        assert text.lstrip().startswith("### Exercise"), "an exercise cell follows its statement"
        hints = HINT.findall(text)
        assert [number for number, _ in hints] == ["1", "2"], f"two hints, Hint 1 then Hint 2: {text[:60]!r}"
        for _, hint in hints:
            assert "```" not in hint, "a hint names the idea or the method; it never shows code"
            assert not any("=" in span for span in re.findall(r"`([^`]+)`", hint)), f"code in a hint: {hint!r}"


def test_exercises_build_cells_from_notebook_03_on():
    """At least three exercises, from notebook 03 on, ask for a Keras cell class of the learner's own."""
    class_exercises = [
        path.name
        for path in MAIN
        if path.name >= "03"
        for cell in notebooks.tagged_cells(notebooks.read_nb(path), "exercise")
        if re.search(r"^class \w+\(", notebooks.cell_source(cell), flags=re.M)
    ]
    assert len(class_exercises) >= 3, class_exercises


def visible_class_cells(nb):
    """The code cells a learner reads a class in: tagged `definition`, not collapsed, holding a class statement."""
    for index, cell in enumerate(nb["cells"]):
        metadata = cell.get("metadata", {})
        hidden = metadata.get("jupyter", {}).get("source_hidden", False)
        source = notebooks.cell_source(cell)
        if cell["cell_type"] == "code" and notebooks.DEFINITION_TAG in metadata.get("tags", []) and not hidden:
            if any(isinstance(node, ast.ClassDef) for node in ast.parse(source).body):
                yield index, source


CLASS_CELL_LINES = 42  # "about 40 lines or fewer", docstring included


@pytest.mark.parametrize("path", MAIN, ids=ids(MAIN))
def test_a_class_a_learner_reads_fits_in_a_short_cell(path):
    long = {i: len(s.splitlines()) for i, s in visible_class_cells(notebooks.read_nb(path))}
    assert all(n <= CLASS_CELL_LINES for n in long.values()), (
        f"class cells longer than {CLASS_CELL_LINES} lines: {long}"
    )


def test_keras_internals_appear_in_one_collapsed_cell_only():
    """keras.src (an unexported Keras module) is written in one place, a collapsed cell of notebook 06 that says why;
    the cells that carry it over are exact copies of that cell's class."""
    found = []
    for path in NOTEBOOKS:
        for index, cell in enumerate(notebooks.read_nb(path)["cells"]):
            tags = cell.get("metadata", {}).get("tags", [])
            if (
                cell["cell_type"] == "code"
                and "keras.src" in notebooks.cell_source(cell)
                and notebooks.CARRIED_TAG not in tags
            ):
                found.append(
                    (path.name, index, cell.get("metadata", {}).get("jupyter", {}).get("source_hidden", False))
                )
    assert [(name, hidden) for name, _, hidden in found] == [("06_bidirectional_lstm.ipynb", True)], found
