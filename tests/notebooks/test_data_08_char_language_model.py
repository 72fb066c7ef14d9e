"""The texts in data/ and the copy embedded in notebook 08: provenance documented, sizes as stated, the embedded
copy identical to data/sonnets.txt, no distributor's header left in."""

import base64
import lzma

import numpy as np
import pytest

from course_code import ROOT, notebook_namespace

DATA = ROOT / "data"
TEXTS = sorted(p for p in DATA.glob("*.txt"))


def test_the_embedded_copy_decodes_to_data_sonnets():
    namespace = notebook_namespace("notebooks/08_char_language_model.ipynb")
    embedded = lzma.decompress(base64.b64decode(namespace["SONNETS_XZ_BASE64"]))
    assert embedded == (DATA / "sonnets.txt").read_bytes()


@pytest.mark.parametrize("path", TEXTS, ids=[p.name for p in TEXTS])
def test_every_text_is_documented_and_small(path):
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert f"`{path.name}`" in readme, "data/README.md says where each file comes from"
    assert 30_000 <= path.stat().st_size <= 1_000_000
    text = path.read_text(encoding="utf-8")
    assert "\r" not in text and text.endswith("\n") and not text.endswith("\n\n")
    assert "gutenberg" not in text.lower() and "licen" not in text.lower(), "the distributor's header is stripped"


def test_the_readme_states_the_licences():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "public domain" in readme and "MIT" in readme


def test_the_sonnets_are_all_there_and_the_split_point_exists():
    text = (DATA / "sonnets.txt").read_text(encoding="ascii")
    assert text.startswith("I\n\nFrom fairest creatures") and text.rstrip().endswith("water cools not love.")
    assert "\nCXXXVIII\n" in text and "\nCLIV\n" in text


def test_the_tang_poems_have_five_character_lines():
    poems = (DATA / "tang_wuyan.txt").read_text(encoding="utf-8").rstrip("\n").split("\n\n")
    for poem in poems:
        for couplet in poem.split("\n"):
            assert len(couplet) == 12 and couplet[5] == "，" and couplet[-1] == "。", couplet


def kneser_ney_namespace():
    namespace = notebook_namespace("notebooks/08_char_language_model.ipynb")
    return namespace["ngram_counts"], namespace["kneser_ney"], namespace["context_codes"]


def toy_ids(n=3000, vocab_size=7, seed=5):
    rng = np.random.default_rng(seed)
    return rng.integers(vocab_size, size=n).astype("int32"), vocab_size


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_kneser_ney_gives_a_distribution_in_every_context(order):
    ngram_counts, kneser_ney, _ = kneser_ney_namespace()
    ids, vocab_size = toy_ids()
    p = kneser_ney(ngram_counts(ids, order, vocab_size), np.array([3, 1, 4, 1, 5, 6, 2, 0, 0, 0]), order)
    assert p.shape == (10, vocab_size) and np.all(p > 0)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-12)


def test_kneser_ney_of_order_one_is_the_discounted_unigram():
    ngram_counts, kneser_ney, _ = kneser_ney_namespace()
    ids, vocab_size = toy_ids()
    counts = np.bincount(ids, minlength=vocab_size)
    p = kneser_ney(ngram_counts(ids, 1, vocab_size), ids[:4], 1, discount=0.0)
    np.testing.assert_allclose(p, np.tile(counts / counts.sum(), (4, 1)))  # no discount: the counted unigram
    d = 0.75
    p = kneser_ney(ngram_counts(ids, 1, vocab_size), ids[:4], 1, discount=d)
    want = (counts - d + d * vocab_size / vocab_size) / counts.sum()  # every id seen: d V (1 / V) given back
    np.testing.assert_allclose(p[0], want)


def test_kneser_ney_falls_back_on_an_unseen_context_and_uses_continuation_counts():
    ngram_counts, kneser_ney, context_codes = kneser_ney_namespace()
    ids, vocab = np.array([0, 1, 0, 1, 0, 1, 2, 2, 2, 2, 0, 1], dtype="int32"), 4  # id 3 never occurs
    tables = ngram_counts(ids, 3, vocab)
    p3 = kneser_ney(tables, np.array([3, 3, 0], dtype="int32"), 3)
    # position 2's context (3, 3) was never seen, and neither was (3): the model falls back to the lowest order,
    # which counts after how many different ids each id came, not how often it came
    continuation = np.array([2, 1, 2, 0])  # 0 after 1 and 2; 1 after 0; 2 after 1 and 2; 3 never
    d = 0.75
    want = (np.maximum(continuation - d, 0) + d * 3 / vocab) / continuation.sum()
    np.testing.assert_allclose(p3[2], want)
    assert context_codes(np.array([1, 2, 3]), 2, 4).tolist() == [-1, -1, 1 * 4 + 2]


def test_kneser_ney_matches_the_order_two_formula_by_hand():
    ngram_counts, kneser_ney, _ = kneser_ney_namespace()
    ids, vocab_size = toy_ids(500, 4, seed=9)
    d = 0.75
    pairs = np.zeros((vocab_size, vocab_size))
    np.add.at(pairs, (ids[:-1], ids[1:]), 1)
    continuation = (pairs > 0).sum(axis=0)  # after how many different ids
    lower = (np.maximum(continuation - d, 0) + d * (continuation > 0).sum() / vocab_size) / continuation.sum()
    a = 2
    want = (np.maximum(pairs[a] - d, 0) + d * (pairs[a] > 0).sum() * lower) / pairs[a].sum()
    p = kneser_ney(ngram_counts(ids, 2, vocab_size), np.array([a, 0], dtype="int32"), 2)
    np.testing.assert_allclose(p[1], want)
