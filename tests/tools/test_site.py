"""The website's build steps that need no browser (coursetools/site.py): figure text alternatives, maths detection,
link rewriting, and the links each notebook page gets. The browser check itself is `course.py site --check`."""

import json

from coursetools import ROOT, site


def test_alt_text_comes_from_the_cell_first_match_wins():
    assert site.figure_alt("#@title Draw the GRU cell\nfig = plt.figure()", "", 1, 1) == "Draw the GRU cell"
    assert site.figure_alt('ax.set_title("Loss per epoch")\nax.set_xlabel("epoch")', "", 1, 1) == "Loss per epoch"
    assert site.figure_alt('ax.set(xlabel="gap", ylabel="accuracy", title="By gap")', "", 1, 1) == "By gap"
    assert site.figure_alt('ax.set_xlabel("epoch")\nax.set_ylabel("loss")', "", 1, 1) == "Plot of loss against epoch"
    assert site.figure_alt('ax.set_title(f"unit {u} of the GRU")', "", 1, 1) == "unit … of the GRU"
    assert site.figure_alt("# The curves of both models\nplt.plot(x)", "Intro.", 1, 1) == "The curves of both models"
    markdown = "### Training\n\nBoth models see the same batches. Then more."
    assert site.figure_alt("plt.plot(x)", markdown, 1, 1) == "Figure: Both models see the same batches"
    assert site.figure_alt("plt.plot(x)", "", 1, 1) == "Figure drawn by this cell"


def test_every_stored_figure_gets_an_alt_text_of_its_own_words():
    for path in sorted(ROOT.glob("notebooks/**/*.ipynb")):
        before = ""
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "markdown":
                before = source if source.strip() else before
            elif any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
                alt = site.figure_alt(source, before, 1, 1)
                assert 3 <= len(alt) <= 170 and alt != "Figure drawn by this cell", (path.name, cell["id"], alt)


def test_maths_is_found_outside_code_only():
    assert site.has_math("the state $h_t$ is")
    assert site.has_math("$$c_t = f_t c_{t-1}$$")
    assert not site.has_math("costs $5 and $10 a month")
    assert not site.has_math("run `echo $HOME $PATH` first")
    assert not site.has_math("```bash\nx=$a; y=$b\n```\n")
    assert not site.has_math("- list\n\n  ```\n  x=$a; y=$b\n  ```\n")  # an indented fence
    assert not site.has_math("A ```` ```python ```` block, then `$...$` and `$x$` in code")
    assert site.has_math("A ```` ```python ```` block, then $x$ outside code")


def test_links_to_pages_stay_and_links_to_other_files_go_to_github():
    course = site.Course()
    fixed = course.fix_links(
        "lessons/03_lstm.md",
        "[nb](../notebooks/03_lstm.ipynb) [code](../coursetools/site.py#L1) [home](../README.md#run-times) [w](https://x.org)",
    )
    assert "(../notebooks/03_lstm.ipynb)" in fixed
    assert f"({course.github}coursetools/site.py#L1)" in fixed
    assert "(../index.md#run-times)" in fixed  # the home page is staged as index.md
    assert "(https://x.org)" in fixed


def test_every_notebook_page_links_its_lesson_solutions_and_run_time():
    course = site.Course()
    assert len(course.notebooks) == len(course.solutions) == len(course.lessons) > 0
    for notebook in course.notebooks:
        header = course.notebook_header(notebook)
        number = course.number(notebook)
        assert f"(../lessons/{number}_" in header and f"(solutions/{number}_" in header, header
        assert f"{course.times[notebook]} s" in header
    for solutions in course.solutions:
        header = course.notebook_header(solutions)
        assert f"(../{course.number(solutions)}_" in header and "(../../lessons/" in header, header
