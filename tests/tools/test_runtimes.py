"""Measured run times live in one place, notebooks/run_times.json (`course.py execute` writes it); the README, the
notebooks' overviews and the lessons quote it, as `course.py times` writes them."""

from coursetools import ROOT, runtimes
from coursetools.notebooks import all_notebooks


def test_every_notebook_has_a_measured_run_time():
    times = runtimes.load()
    assert sorted(times) == sorted(p.relative_to(ROOT).as_posix() for p in all_notebooks())
    assert all(isinstance(s, int) and s > 0 for s in times.values())


def test_the_readme_the_overviews_and_the_lessons_quote_the_record():
    stale = [p.relative_to(ROOT).as_posix() for p in runtimes.out_of_date()]
    assert not stale, f"run times differ from notebooks/run_times.json in {stale}: run `python3 course.py times`"


def test_every_overview_and_lesson_has_the_generated_sentence():
    for path in all_notebooks():
        assert "(measured with `python3 course.py execute`)" in str(runtimes.rendered()[path]), path.name
    for lesson in ROOT.glob("lessons/[0-9][0-9]_*.md"):
        assert runtimes.LESSON.search(lesson.read_text(encoding="utf-8")), lesson.name


def test_a_changed_record_makes_the_sentences_stale(tmp_path, monkeypatch):
    times = runtimes.load()
    first = next(iter(times))
    record = tmp_path / "run_times.json"
    record.write_text(runtimes.json.dumps({**times, first: times[first] + 1}))
    monkeypatch.setattr(runtimes, "RUN_TIMES", record)
    assert ROOT / first in runtimes.out_of_date()
