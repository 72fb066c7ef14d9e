"""The course as a static website: `python3 course.py site` builds it into _site/, `--check` opens every page in
headless Chromium (coursetools/sitecheck.py).

The site is built with Sphinx and MyST-NB from a staged copy of the sources in _site_build/src/. Staging keeps the
repository's layout (README.md, lessons/, lessons/zh/, notebooks/, notebooks/solutions/), so the relative links
GitHub follows (../notebooks/03_lstm.ipynb) resolve to the site's pages as they are; it only adds what the site
needs and the files do not hold:

- every notebook page: the Colab and GitHub badges drawn from local images (the pages load nothing from the
  network), then a line linking its lesson and its solutions (or its notebook) with its run time from
  notebooks/run_times.json;
- every figure: a short text alternative (`figure_alt`), stored in the staged cell's metadata for MyST-NB;
- every page that has an English and a Chinese edition: a link to the other;
- links to repository files that are not pages of the site: rewritten to the file on GitHub (course.json);
- a manifest (_site/site-manifest.json) of the pages and what their sources hold (maths, Chinese, figures),
  which the browser check compares with what the browser drew.

Notebooks are rendered from their stored outputs and never executed (nb_execution_mode = "off"). MathJax comes
from the pinned Python package sphinx-mathjax-offline (MathJax 3.2.2, Apache-2.0); only the files the pages need are
copied into the site. Sphinx, the theme and MathJax are installed into .venv-site/ from requirements-site.txt, never
into the learner's .venv.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import ROOT, settings

SITE_VENV = ROOT / ".venv-site"
SITE_REQUIREMENTS = ROOT / "requirements-site.txt"
BUILD = ROOT / "_site_build"
SRC = BUILD / "src"
OUT = ROOT / "_site"
ARTEFACTS = ROOT / "_site_artefacts"
MANIFEST = "site-manifest.json"

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Inline $...$ or display $$...$$ maths in Markdown, outside code (code spans and fences are removed first).
MATH = re.compile(r"\$\$.+?\$\$|(?<![\\$\w])\$(?=\S)[^$\n]+?(?<=\S)\$(?!\w)", re.S)
LINK = re.compile(r"(\]\()([^)\s]+)(\))")
COLAB_BADGE_URL = "https://colab.research.google.com/assets/colab-badge.svg"
GITHUB_BADGE = re.compile(r"https://img\.shields\.io/badge/view%20source-GitHub[^)\s]*")

# The MathJax files the pages need: the TeX-to-HTML bundle, the TeX extensions it loads on demand, and its fonts.
MATHJAX_PARTS = ["tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2"]


# ----------------------------------------------------------------------------------------------- the environment
def site_python() -> Path:
    return SITE_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_site_venv() -> Path:
    """.venv-site with requirements-site.txt installed; reinstalled when that file changes."""
    python = site_python()
    stamp = SITE_VENV / ".requirements.stamp"
    wanted = hashlib.sha256(SITE_REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    if not python.exists():
        print(f"Creating {SITE_VENV.name}/ for the website's tools ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(SITE_VENV)], check=True)
    command = [str(python), "-m", "pip", "install", "--quiet", "-r", str(SITE_REQUIREMENTS)]
    print("$", " ".join(command[1:]), flush=True)
    if subprocess.run(command).returncode != 0:
        sys.exit(f"Installing {SITE_REQUIREMENTS.name} failed; check the connection, or delete {SITE_VENV.name}/.")
    stamp.write_text(wanted + "\n")
    return python


def mathjax_source(python: Path) -> Path:
    """The MathJax folder inside the installed sphinx-mathjax-offline package."""
    code = "import importlib.util as u; print(u.find_spec('sphinx-mathjax-offline').submodule_search_locations[0])"
    found = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    return Path(found) / "static" / "mathjax"


# ----------------------------------------------------------------------------------------------- the pages
def strip_code(markdown: str) -> str:
    """Markdown without fenced code blocks and code spans (where a $ is not maths)."""
    markdown = re.sub(r"^[ \t]*(`{3,}|~{3,}).*?^[ \t]*\1", "", markdown, flags=re.S | re.M)
    return re.sub(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", "", markdown, flags=re.S)


def has_math(markdown: str) -> bool:
    return bool(MATH.search(strip_code(markdown)))


def first_sentence(markdown: str, limit: int = 160) -> str:
    text = re.sub(r"^\s*#.*$", "", markdown, flags=re.M)  # headings
    text = re.sub(r"^\s*(?:\d+\.|[-*+])\s+", "", text, flags=re.M)  # list markers
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[`*_#>$\\]", "", text)
    text = " ".join(text.split())
    sentence = re.split(r"(?<=[.!?:])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rsplit(" ", 1)[0] + "…"


def literal_call(source: str, names: str) -> str:
    """The plain string literal passed to the first call of one of `names` (set_title|suptitle...), or ''."""
    call = re.search(rf"\.(?:{names})\(\s*f?(['\"])((?:(?!\1).)+)\1\s*[,)]", source)
    keyword = re.search(rf"\.set\([^)]*?\b(?:{names})\s*=\s*f?(['\"])((?:(?!\1).)+)\1", source)  # ax.set(title=...)
    return (call or keyword).group(2) if (call or keyword) else ""


def figure_alt(source: str, markdown_before: str, number: int, count: int) -> str:
    """A short text alternative for the figure a code cell drew, from the cell itself, in this order: its Colab
    form title (#@title ...), a literal title it sets, its axis labels, the first sentence of the markdown cell that
    introduces it, its first comment, the first sentence of the markdown cell before it. `number`/`count` tell the figures of one cell apart."""
    title = re.search(r"^#@title\s+(.+)$", source, re.M)
    alt = title.group(1).strip() if title else literal_call(source, "suptitle|set_title|title")
    alt = re.sub(r"#@param.*|\{[^}]*\}", "…", alt)  # an f-string's fields are unknown here
    alt = "" if alt.startswith("…") else alt  # a title that starts with a field says too little alone
    if not alt:
        x, y = literal_call(source, "set_xlabel|xlabel"), literal_call(source, "set_ylabel|ylabel")
        alt = f"Plot of {y} against {x}" if x and y else ""
    if not alt:
        comment = re.search(r"^\s*#\s*(.+)$", source, re.M)
        alt = comment.group(1).strip() if comment else ""
    if not alt and markdown_before.strip():
        alt = "Figure: " + first_sentence(markdown_before)
    alt = alt or "Figure drawn by this cell"
    alt = alt.rstrip(".:")
    return f"{alt} (figure {number} of {count})" if count > 1 else alt


def page_of(rel: str) -> str:
    """The site page (without .html) of a repository file, e.g. notebooks/03_lstm.ipynb -> notebooks/03_lstm."""
    return rel.rsplit(".", 1)[0]


class Course:
    """The repository files that become pages, and the links between them."""

    def __init__(self):
        conf = settings()
        self.github = f"https://github.com/{conf['repository']}/blob/{conf['branch']}/"
        self.times = json.loads((ROOT / "notebooks" / "run_times.json").read_text(encoding="utf-8"))
        self.notebooks = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        self.solutions = sorted(
            p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb")
        )
        self.lessons = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "lessons").glob("[0-9][0-9]_*.md"))
        self.zh_lessons = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "lessons" / "zh").glob("*.md"))
        self.zh_home = ["README.zh-CN.md"] if (ROOT / "README.zh-CN.md").exists() else []
        self.extra = [p for p in ("CONTRIBUTING.md", "data/README.md") if (ROOT / p).exists()]
        self.markdown = ["README.md", "lessons/README.md", *self.lessons, *self.zh_home, *self.zh_lessons, *self.extra]
        self.pages = set(self.markdown) | set(self.notebooks) | set(self.solutions)
        # English <-> Chinese editions: README.md <-> README.zh-CN.md, lessons/X.md <-> lessons/zh/X.md.
        self.other_edition = {}
        for zh in self.zh_home:
            self.other_edition["README.md"], self.other_edition[zh] = zh, "README.md"
        for zh in self.zh_lessons:
            en = "lessons/" + zh.rsplit("/", 1)[1]
            if (ROOT / en).exists():
                self.other_edition[en], self.other_edition[zh] = zh, en

    def number(self, rel: str) -> str:
        return Path(rel).name[:2]

    def find(self, paths, number):
        return next((p for p in paths if Path(p).name.startswith(number + "_")), None)

    def link(self, from_rel: str, to_rel: str) -> str:
        to_rel = "index.md" if to_rel == "README.md" else to_rel  # the home page is staged as index.md
        return Path(os.path.relpath(ROOT / to_rel, (ROOT / from_rel).parent)).as_posix()

    def fix_links(self, from_rel: str, markdown: str) -> str:
        """Point relative links at repository files that are not pages to the file on GitHub."""

        def fix(match):
            target = match.group(2)
            if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target, re.I):
                return match.group(0)
            path, _, anchor = target.partition("#")
            resolved = os.path.normpath((Path(from_rel).parent / path).as_posix()).replace(os.sep, "/")
            if resolved == "README.md":
                return (
                    match.group(1) + self.link(from_rel, resolved) + ("#" + anchor if anchor else "") + match.group(3)
                )
            if resolved in self.pages or resolved.startswith(".."):
                return match.group(0)
            if (ROOT / resolved).exists():
                url = self.github + resolved + ("#" + anchor if anchor else "")
                return match.group(1) + url + match.group(3)
            return match.group(0)

        return LINK.sub(fix, markdown)

    def language_line(self, rel: str) -> str:
        other = self.other_edition.get(rel)
        if not other:
            return ""
        if rel.startswith("lessons/zh/") or rel in self.zh_home:
            return f"{{.course-language}}\n[English]({self.link(rel, other)}) · **中文**\n\n"
        return f"{{.course-language}}\n**English** · [中文]({self.link(rel, other)})\n\n"

    def run_time(self, rel: str) -> str:
        seconds = self.times.get(rel)
        return f"{seconds} s" if seconds is not None else "not measured yet"

    def notebook_header(self, rel: str) -> str:
        n = self.number(rel)
        lesson, notebook, solutions = (
            self.find(self.lessons, n),
            self.find(self.notebooks, n),
            self.find(self.solutions, n),
        )
        parts = []
        if rel in self.solutions and notebook:
            parts.append(f"**Notebook:** [{Path(notebook).stem}]({self.link(rel, notebook)})")
        if lesson:
            parts.append(f"**Lesson:** [{Path(lesson).stem}]({self.link(rel, lesson)})")
        if rel in self.notebooks and solutions:
            parts.append(f"**Solutions:** [{Path(solutions).stem}]({self.link(rel, solutions)})")
        parts.append(
            f"**Run time:** {self.run_time(rel)} top to bottom on a 2-core x86-64 CPU "
            "(`python3 course.py execute`, kernel start-up included)"
        )
        return "{.course-links}\n" + " · ".join(parts)


# ----------------------------------------------------------------------------------------------- staging
def write_if_changed(path: Path, text: str) -> None:
    """Write only what changed, so that Sphinx rebuilds only the pages whose sources changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def stage_markdown(course: Course, rel: str, manifest: dict) -> None:
    text = (ROOT / rel).read_text(encoding="utf-8")
    body = course.fix_links(rel, text)
    lines = body.split("\n", 1)
    header = course.language_line(rel)
    n = Path(rel).name[:2]
    if header and lines[0].startswith("# "):
        body = lines[0] + "\n\n" + header + (lines[1] if len(lines) > 1 else "")
    elif header:
        body = header + body
    if rel == "README.md":
        body += toctree(course)
    target = "index.md" if rel == "README.md" else rel
    write_if_changed(SRC / target, body)
    manifest[page_of(target)] = {
        "source": rel,
        "math": has_math(text),
        "chinese": bool(CJK.search(text)),
        "figures": 0,
        "links_to": [],
        "lang": "zh-CN" if rel.startswith("lessons/zh/") or rel in course.zh_home else "en",
    }
    if rel in course.other_edition:
        other = course.other_edition[rel]
        manifest[page_of(target)]["edition"] = page_of("index.md" if other == "README.md" else other)
    if rel in course.lessons:
        notebook = course.find(course.notebooks, n)
        manifest[page_of(target)]["links_to"] = [page_of(notebook)] if notebook else []


def stage_notebook(course: Course, rel: str, badges: dict, manifest: dict) -> None:
    nb = json.loads((ROOT / rel).read_text(encoding="utf-8"))
    figures, math, chinese = 0, False, False
    markdown_before = ""
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown":
            if "badges" in cell.get("metadata", {}).get("tags", []):
                source = source.replace(COLAB_BADGE_URL, course.link(rel, badges["colab"]))
                source = GITHUB_BADGE.sub(course.link(rel, badges["github"]), source)
            source = course.fix_links(rel, source)
            math = math or has_math(source)
            chinese = chinese or bool(CJK.search(source))
            cell["source"] = source
            markdown_before = source if source.strip() else markdown_before
            continue
        if cell["cell_type"] != "code":
            continue
        if cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"):
            # shown collapsed in Colab and JupyterLab; on the site too, behind "Show code cell source"
            tags = cell["metadata"].setdefault("tags", [])
            tags += [] if "hide-input" in tags else ["hide-input"]
        images = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/html", ""))
            chinese = chinese or bool(CJK.search(text))
        if images:
            figures += len(images)
            # one alt for the cell; MyST-NB gives it to each image of the cell
            alt = figure_alt(source, markdown_before, 1, 1)
            cell.setdefault("metadata", {}).setdefault("mystnb", {})["image"] = {"alt": alt}
    # The links to the lesson and solutions and the run time, right after the badges.
    badge_at = next((i for i, c in enumerate(nb["cells"][:3]) if "badges" in c.get("metadata", {}).get("tags", [])), 0)
    nb["cells"].insert(
        badge_at + 1,
        {"cell_type": "markdown", "id": "site-links", "metadata": {}, "source": course.notebook_header(rel)},
    )
    write_if_changed(SRC / rel, json.dumps(nb, ensure_ascii=False, indent=1) + "\n")
    n = course.number(rel)
    links = [course.find(course.lessons, n)]
    links += [course.find(course.solutions, n)] if rel in course.notebooks else [course.find(course.notebooks, n)]
    manifest[page_of(rel)] = {
        "source": rel,
        "math": math,
        "chinese": chinese,
        "figures": figures,
        "links_to": [page_of(p) for p in links if p],
        "colab": True,
        "lang": "en",
    }


def toctree(course: Course) -> str:
    def entry(rel):
        kind = "Solutions" if "/solutions/" in rel else "Notebook" if rel.endswith(".ipynb") else ""
        kind = kind or ("Lesson" if rel in course.lessons else "")
        return f"{kind} <{page_of(rel)}>" if kind else page_of(rel)

    def block(caption, entries):
        items = "\n".join(entry(e) for e in entries)
        return f"\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n{items}\n```\n"

    out = block("The course", ["lessons/README.md"])
    for n in sorted({course.number(p) for p in course.notebooks}):
        entries = [
            p
            for p in (
                course.find(course.lessons, n),
                course.find(course.notebooks, n),
                course.find(course.solutions, n),
            )
            if p
        ]
        first = (ROOT / entries[0]).read_text(encoding="utf-8").split("\n", 1)[0] if entries[0].endswith(".md") else ""
        title = first[2:].split("·", 1)[-1].strip() if first.startswith("# ") else Path(entries[0]).stem[3:]
        out += block(f"{n} · {title}", entries)
    if course.zh_home or course.zh_lessons:
        out += block("中文", [*course.zh_home, *course.zh_lessons])
    if course.extra:
        out += block("For contributors", course.extra)
    return "\n" + out


BADGE_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" aria-label="{label}">
<rect width="{w}" height="20" rx="3" fill="{bg}"/>
<text x="{x}" y="14" fill="#fff" font-family="DejaVu Sans,Verdana,sans-serif" font-size="11"
 text-anchor="middle">{label}</text></svg>
"""


def conf_py(course: Course) -> str:
    conf = settings()
    zh_pages = sorted(page_of(p) for p in (*course.zh_home, *course.zh_lessons))
    return f'''# Generated by coursetools/site.py for `python3 course.py site`; edit that file, not this one.
project = "Recurrent neural networks in Keras, built by hand"
author = "the course's authors"
copyright = "the course's authors"
root_doc = "index"
language = "en"
extensions = ["myst_nb"]
nb_execution_mode = "off"          # render the stored outputs; never execute
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "attrs_block"]
myst_heading_anchors = 4           # the GitHub-style #anchors the Markdown links use
suppress_warnings = ["myst.header"]
html_theme = "sphinx_book_theme"
html_title = "RNNs in Keras, built by hand"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_copy_source = True     # the download button offers the .ipynb and .md
html_show_sourcelink = False
mathjax_path = "mathjax/tex-chtml.js"   # local copy: no CDN
html_theme_options = {{
    "repository_url": "https://github.com/{conf["repository"]}",
    "repository_branch": "{conf["branch"]}",
    "use_repository_button": True,
    "show_toc_level": 2,
}}
html_context = {{"default_mode": "auto"}}  # without it, a first visit logs a console error (empty theme mode)
ZH_PAGES = {zh_pages!r}


def set_language(app, pagename, templatename, context, doctree):
    if pagename in ZH_PAGES:
        context["language"] = "zh-CN"


def setup(app):
    app.connect("html-page-context", set_language)
'''


COURSE_CSS = """.course-language { float: right; font-size: 0.9em; margin: 0 0 0.5em 1em; }
.course-links { font-size: 0.95em; }
html[lang="zh-CN"] { font-family: "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; }
"""


def stage(course: Course, python: Path) -> dict:
    static = SRC / "_static"
    static.mkdir(parents=True, exist_ok=True)
    mathjax = mathjax_source(python)
    for part in MATHJAX_PARTS:
        src, dst = mathjax / part, static / "mathjax" / part
        if dst.exists():
            continue
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    badges = {"colab": "_static/open-in-colab.svg", "github": "_static/view-on-github.svg"}
    write_if_changed(SRC / badges["colab"], BADGE_SVG.format(w=104, x=52, bg="#e37400", label="Open in Colab"))
    write_if_changed(SRC / badges["github"], BADGE_SVG.format(w=130, x=65, bg="#24292f", label="View source on GitHub"))
    write_if_changed(static / "course.css", COURSE_CSS)
    write_if_changed(SRC / "conf.py", conf_py(course))
    manifest = {}
    for rel in course.markdown:
        stage_markdown(course, rel, manifest)
    for rel in course.notebooks + course.solutions:
        stage_notebook(course, rel, badges, manifest)
    # Sources removed from the repository (a zh lesson deleted) must not linger in the staged tree.
    wanted = {SRC / ("index.md" if r == "README.md" else r) for r in course.pages}
    for path in [*SRC.rglob("*.md"), *SRC.rglob("*.ipynb")]:
        if path not in wanted:
            path.unlink()
    return manifest


def cmd_site(args) -> int:
    python = ensure_site_venv()
    if not args.check or not (OUT / MANIFEST).exists() or args.rebuild:
        start = time.perf_counter()
        course = Course()
        manifest = stage(course, python)
        if args.rebuild:
            for folder in ("html", "doctrees", "jupyter_execute"):
                shutil.rmtree(BUILD / folder, ignore_errors=True)
        # Sphinx builds into _site_build/html (MyST-NB writes its figure files beside that folder, in
        # _site_build/jupyter_execute), which is then copied to _site/.
        html = BUILD / "html"
        command = [str(python), "-m", "sphinx", "-b", "html", "-q", "-d", str(BUILD / "doctrees"), str(SRC), str(html)]
        print("$", " ".join(command[1:]), flush=True)
        if subprocess.run(command, cwd=ROOT).returncode != 0:
            return 1
        shutil.rmtree(OUT, ignore_errors=True)
        shutil.copytree(html, OUT)
        (OUT / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        pages = len(list(OUT.rglob("*.html")))
        print(
            f"Built {pages} HTML files ({len(manifest)} course pages) into {OUT.name}/ in "
            f"{time.perf_counter() - start:.0f} s; open {OUT.name}/index.html",
            flush=True,
        )
    if not args.check:
        return 0
    command = [str(python), "-m", "coursetools.sitecheck", str(OUT), str(ARTEFACTS)]
    print("$", " ".join(command[1:]), flush=True)
    return subprocess.run(command, cwd=ROOT).returncode
