"""Open every page of the built site in headless Chromium and check what a learner would see.

    .venv-site/bin/python -m coursetools.sitecheck _site _site_artefacts   (run by `python3 course.py site --check`)

The site is served by a local http.server; Chromium (Debian's /usr/bin/chromium, or $COURSE_CHROMIUM) is driven by
Playwright. Per page:

- it loads with no console error, no uncaught script error, no failed request and no HTTP error, and asks for
  nothing outside the local server (any such request is blocked and reported);
- every internal link and image resolves: the file exists in the site and, for a link with #anchor, the target page
  has that id; every image has decoded (natural width > 0) and has a non-empty text alternative;
- maths: where the page's source has $...$ maths (site-manifest.json, computed from the sources), MathJax drew it
  (mjx-container present), every maths element was typeset, no MathJax error box, and no raw $...$, \\( or \\[ is
  left in the text outside code;
- Chinese: where the source has Chinese text, the page has it, and the element with the most Chinese characters is
  drawn with a CJK font: the DevTools call CSS.getPlatformFontsForNode must report at least as many glyphs from a
  CJK family (Noto CJK, WenQuanYi, ...) as the element has Chinese characters; a zh page has <html lang="zh-CN">;
- the course's own links: a notebook page links its lesson, its solutions (or its notebook) and Colab; a lesson
  links its notebook; a page with both editions links the other; a notebook page shows as many figures as its
  stored outputs hold;
- search: search.html?q=LSTM lists results.

Screenshots of the home page, a lesson, notebooks 03 and 09 (their top and their first figure) and a Chinese page
go to the artefacts folder. The last line reads "site: N passed, M failed".
"""

import functools
import http.server
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-default-apps",
]
CJK_FAMILY = re.compile(
    r"CJK|WenQuanYi|Droid Sans Fallback|Source Han|SC$|TC$|PingFang|YaHei|SimSun|SimHei|AR PL", re.I
)
RAW_MATH = re.compile(r"(?<![\w$])\$[^\s$][^$\n]*?\$(?!\w)|\\\(|\\\[")

# What the browser reports about one page; run inside the page.
PAGE_FACTS = r"""() => {
  const skip = 'pre, code, kbd, script, style, mjx-container, .highlight, .MathJax';
  const walker = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT);
  let text = '';
  const cjkByElement = new Map();
  const cjk = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/g;
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    text += node.textContent + '\n';
    const found = node.textContent.match(cjk);
    if (found && parent.getClientRects().length) cjkByElement.set(parent, (cjkByElement.get(parent) || 0) + found.length);
  }
  let best = null, bestCount = 0;
  for (const [el, n] of cjkByElement) if (n > bestCount) { best = el; bestCount = n; }
  document.querySelectorAll('[data-cjk-probe]').forEach(e => e.removeAttribute('data-cjk-probe'));
  if (best) best.setAttribute('data-cjk-probe', '1');
  const maths = [...document.querySelectorAll('span.math, div.math')];
  return {
    text,
    lang: document.documentElement.lang,
    cjkChars: bestCount,
    maths: maths.length,
    mathsTypeset: maths.filter(m => m.querySelector('mjx-container')).length,
    mjx: document.querySelectorAll('mjx-container').length,
    mathErrors: document.querySelectorAll('mjx-merror').length,
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    resources: [...document.querySelectorAll('img[src], script[src], link[href][rel~="stylesheet"]')]
      .map(e => e.src || e.href),
    images: [...document.querySelectorAll('img')].map(i => ({
      src: i.currentSrc || i.src, alt: (i.getAttribute('alt') || '').trim(), ok: i.complete && i.naturalWidth > 0,
      figure: !!i.closest('.cell_output')})),
  };
}"""


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the browser closing a connection early is normal
            super().handle_error(request, client_address)


def serve(root: Path):
    handler = functools.partial(QuietHandler, directory=str(root))
    server = Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def chromium() -> str:
    for candidate in (os.environ.get("COURSE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("chromium") or shutil.which("google-chrome")
    if not found:
        sys.exit(
            "No Chromium found: on Debian or Ubuntu run `apt-get install chromium fonts-noto-cjk`, or set "
            "COURSE_CHROMIUM to a Chromium or Chrome binary."
        )
    return found


class Site:
    def __init__(self, root: Path, base: str):
        self.root, self.base = root, base
        self.ids = {}

    def file_of(self, url: str):
        path = unquote(urlsplit(url).path)
        target = self.root / path.lstrip("/")
        return target / "index.html" if target.is_dir() else target

    def has_id(self, file: Path, anchor: str) -> bool:
        if file not in self.ids:
            html = file.read_text(encoding="utf-8", errors="replace")
            self.ids[file] = set(re.findall(r'\bid="([^"]+)"', html))
        return unquote(anchor) in self.ids[file]

    def check_url(self, url: str, anchors=True):
        """None if an internal URL resolves (file exists, and its #anchor too); otherwise why not."""
        if not url.startswith(self.base):
            return None
        file = self.file_of(url)
        if not file.is_file():
            return f"missing {url[len(self.base) :]}"
        anchor = urlsplit(url).fragment
        if anchors and anchor and file.suffix == ".html" and not self.has_id(file, anchor):
            return f"no #{anchor} in {url[len(self.base) :]}"
        return None


def settle(page):
    """Wait until the fonts the page asked for and its images are loaded (MathJax's fonts included)."""
    page.evaluate(
        "() => Promise.all([document.fonts.ready, ...[...document.images].filter(i => !i.complete)"
        ".map(i => new Promise(r => { i.onload = i.onerror = r; }))])"
    )


def platform_fonts(page, cdp):
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-cjk-probe]"})["nodeId"]
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"] if node else []


def check_page(page, cdp, site: Site, rel: str, info: dict, events: list) -> list:
    problems = []
    events.clear()
    response = page.goto(site.base + rel, wait_until="load")
    if response is None or response.status != 200:
        problems.append(f"HTTP {response.status if response else 'no response'}")
    has_mathjax = page.evaluate("() => !!(window.MathJax && MathJax.startup)")
    if has_mathjax:
        page.evaluate("() => MathJax.startup.promise")
    settle(page)
    facts = page.evaluate(PAGE_FACTS)
    problems += list(events)
    # links, images and resources
    for url in sorted(set(facts["links"])):
        why = site.check_url(url)
        if why:
            problems.append("link: " + why)
    for url in sorted(set(facts["resources"])):
        why = site.check_url(url, anchors=False)
        if why:
            problems.append("resource: " + why)
    for image in facts["images"]:
        if not image["ok"]:
            problems.append(f"image not drawn: {image['src']}")
        if not image["alt"]:
            problems.append(f"image without alt text: {image['src']}")
    figures = sum(1 for i in facts["images"] if i["figure"])
    if info and figures != info.get("figures", 0):
        problems.append(f"{figures} figures shown, the notebook stores {info['figures']}")
    # maths
    if info and info.get("math"):
        if not has_mathjax:
            problems.append("the source has maths but MathJax did not load")
        if facts["mjx"] == 0:
            problems.append("the source has maths but nothing was typeset")
    if facts["mathsTypeset"] < facts["maths"]:
        problems.append(f"{facts['maths'] - facts['mathsTypeset']} of {facts['maths']} maths elements not typeset")
    if facts["mathErrors"]:
        problems.append(f"{facts['mathErrors']} MathJax errors")
    raw = RAW_MATH.findall(facts["text"])
    if raw:
        problems.append(f"raw maths left in the text: {raw[:3]}")
    # Chinese
    if info and info.get("chinese") and not facts["cjkChars"]:
        problems.append("the source has Chinese text but the page shows none")
    if facts["cjkChars"]:
        fonts = platform_fonts(page, cdp)
        cjk_glyphs = sum(f["glyphCount"] for f in fonts if CJK_FAMILY.search(f["familyName"]))
        if cjk_glyphs < facts["cjkChars"]:
            problems.append(
                f"Chinese drawn without a CJK font: {facts['cjkChars']} characters, fonts "
                f"{[(f['familyName'], f['glyphCount']) for f in fonts]}"
            )
    if info and facts["lang"] != info.get("lang", "en"):
        problems.append(f"<html lang={facts['lang']!r}>, expected {info.get('lang')!r}")
    # the course's own links
    if info:
        here = site.base + rel
        targets = {site.file_of(u) for u in facts["links"] if u.startswith(site.base) and u.split("#")[0] != here}
        for page_name in info.get("links_to", []) + ([info["edition"]] if info.get("edition") else []):
            if site.root / (page_name + ".html") not in targets:
                problems.append(f"no link to {page_name}")
        if info.get("colab") and not any(
            u.startswith("https://colab.research.google.com/github/") for u in facts["links"]
        ):
            problems.append("no Open in Colab link")
    return problems


def screenshots(page, site: Site, manifest: dict, out: Path):
    out.mkdir(parents=True, exist_ok=True)
    shots = [("home", "index.html", None), ("lesson-03", "lessons/03_lstm.html", "div.math mjx-container")]
    for n, name in (("03", "notebooks/03_lstm.html"), ("09", "notebooks/09_chinese_sentiment.html")):
        shots += [(f"notebook-{n}", name, None), (f"notebook-{n}-figure", name, ".cell_output img")]
    zh = sorted(p for p, i in manifest.items() if i.get("lang") == "zh-CN")
    shots += [(f"zh-{Path(p).name}", p + ".html", None) for p in zh[:2]]
    taken = []
    for label, rel, selector in shots:
        if not (site.root / rel).exists():
            continue
        page.goto(site.base + rel, wait_until="load")
        page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
        settle(page)
        if selector and page.locator(selector).count():
            page.locator(selector).first.scroll_into_view_if_needed()
            page.evaluate("() => window.scrollBy(0, -120)")
        page.screenshot(path=str(out / f"{label}.png"))
        taken.append(label)
    return taken


def main(argv) -> int:
    from playwright.sync_api import sync_playwright  # in .venv-site only: course.py imports its tools without it

    root, artefacts = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    manifest = json.loads((root / "site-manifest.json").read_text(encoding="utf-8"))
    pages = sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*.html") if not p.relative_to(root).parts[0].startswith("_")
    )
    missing = [name for name in manifest if not (root / (name + ".html")).exists()]
    server = serve(root)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    site = Site(root, base)
    failed = {}
    if missing:
        failed["site-manifest.json"] = [f"no page built for {name}" for name in missing]
    events = []
    with tempfile.TemporaryDirectory(prefix="course-site-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=chromium(),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        page = context.new_page()

        def outside(route):
            events.append(f"asked the network for {route.request.url}")
            route.abort()

        page.route(re.compile(r"^(?!" + re.escape(base) + r").*"), outside)
        page.on("console", lambda m: m.type == "error" and events.append(f"console error: {m.text}"))
        page.on("pageerror", lambda e: events.append(f"script error: {e}"))
        page.on("requestfailed", lambda r: r.url.startswith(base) and events.append(f"request failed: {r.url}"))
        page.on("response", lambda r: r.status >= 400 and events.append(f"HTTP {r.status}: {r.url}"))
        cdp = context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        for rel in pages:
            name = rel[: -len(".html")]
            started = time.perf_counter()
            try:
                problems = check_page(page, cdp, site, rel, manifest.get(name), events)
            except Exception as exc:  # a page that breaks the check fails; the others are still checked
                problems = [f"check raised {type(exc).__name__}: {exc}"]
            if problems:
                failed[rel] = problems
            print(("FAIL " if problems else "ok   ") + f"{rel} ({time.perf_counter() - started:.1f} s)", flush=True)
            for problem in problems[:15]:
                print("     - " + problem, flush=True)
        # search works offline
        events.clear()
        page.goto(base + "search.html?q=LSTM", wait_until="load")
        try:
            page.wait_for_selector("#search-results li, ul.search li", timeout=15000)
            results = page.locator("#search-results li, ul.search li").count()
        except Exception:
            results = 0
        search_problems = ([] if results else ["search.html?q=LSTM listed no results"]) + list(events)
        if search_problems:
            failed["search"] = search_problems
        print(("FAIL " if search_problems else "ok   ") + f"search for LSTM: {results} results", flush=True)
        taken = screenshots(page, site, manifest, artefacts)
        context.close()
    server.shutdown()
    print(f"Screenshots in {artefacts}: {', '.join(taken)}")
    checked = len(pages) + 1
    print(f"site: {checked - len([k for k in failed if k != 'site-manifest.json'])} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
