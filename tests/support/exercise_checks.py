"""Helpers for testing the exercise checkers: what a checker prints for one answer."""


def verdict(capsys, checker, answer):
    """(passed, printed verdict) of one checker on one answer."""
    checker(answer)
    out = capsys.readouterr().out
    return "correct ✓" in out, out


def not_attempted(*args):
    """An exercise left as it is handed out."""
    raise NotImplementedError
