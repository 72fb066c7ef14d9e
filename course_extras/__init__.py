"""The notebooks' exercise checkers and embedded copies of data, one module per notebook, for the tests and the
solutions; the layers are in rnn_course. Not installed by `pip install -e .`.

Generated from the notebooks by `python3 course.py export`: edit the notebooks, not these files."""
