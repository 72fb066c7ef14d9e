"""The texts in data/ and the copy embedded in notebook 08: provenance documented, sizes as stated, the embedded
copy identical to data/sonnets.txt, no distributor's header left in."""

import base64
import lzma

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
