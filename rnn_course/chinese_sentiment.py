"""09 · Sentiment of real Chinese reviews, read both ways

Generated from notebooks/09_chinese_sentiment.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

