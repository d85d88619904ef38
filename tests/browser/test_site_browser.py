"""The built results site in a real browser: every page loads cleanly, every figure and claim is there.

``build/site`` is served on 127.0.0.1 by ``http.server`` in a thread; headless Chromium loads
each page and the test fails on a console error, an uncaught page error, a failed request, an
image that did not decode (``naturalWidth == 0``), a MathJax error or unrendered math, and an
internal link to a file that does not exist. Text that Sphinx could not render (docutils "problematic" nodes) fails too. The ledger page must
list every registered claim,
the gallery every registered figure. A full-page screenshot of each page is saved to
``build/site/_screenshots/`` for review. If the site is missing it is built first
(``make site`` normally does that).
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from .conftest import ROOT

SITE = ROOT / "build" / "site"

# Waits until MathJax 3 (if the page loads it) has started and typeset the page.
_MATHJAX_DONE = """async () => {
  for (let i = 0; i < 200 && document.querySelector('script[src*="mathjax"]')
       && !(window.MathJax && window.MathJax.startup && window.MathJax.startup.promise); i++) {
    await new Promise(r => setTimeout(r, 50));
  }
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
    return true;
  }
  return false;
}"""

# Forces lazy images to load and waits for every image to finish (loaded or failed).
_IMAGES_SETTLED = """() => Promise.all([...document.images].map(img => {
  img.loading = 'eager';
  return img.complete ? null : new Promise(r => { img.onload = img.onerror = r; });
}))"""

_BROKEN_IMAGES = """() => [...document.images]
  .filter(img => !(img.complete && img.naturalWidth > 0))
  .map(img => img.getAttribute('src'))"""

_MATH_PROBLEMS = """() => {
  const errors = [...document.querySelectorAll('mjx-merror, [data-mml-node="merror"]')]
    .map(e => {
      const dl = e.closest('dl.py');
      const dt = dl && dl.querySelector('dt[id]');
      return 'math error: ' + e.textContent.slice(0, 120) + (dt ? ' (in ' + dt.id + ')' : '');
    });
  const raw = [...document.querySelectorAll('.math')]
    .filter(e => /\\\\\\(|\\\\\\[|\\$\\$/.test(e.innerText))
    .map(e => 'unrendered math: ' + e.innerText.slice(0, 120));
  return errors.concat(raw);
}"""

# Sphinx/docutils render markup it could not process (an undefined substitution, a bad role) as
# "problematic" text and system messages: visible rendering errors.
_RENDER_ERRORS = """() => [...document.querySelectorAll('.problematic, .system-message')]
  .map(e => 'rendering error: ' + e.textContent.trim().slice(0, 120))"""

_LINKS = """() => [...document.querySelectorAll('a[href]')].map(a => a.href)"""


def _pages() -> list[Path]:
    return sorted(p for p in SITE.rglob("*.html")
                  if not {"_static", "_screenshots", "_sources"} & set(p.relative_to(SITE).parts))


@pytest.fixture(scope="module")
def site() -> Path:
    """The built site (built here when ``build/site/index.html`` is missing)."""
    if not (SITE / "index.html").is_file():
        from analysis.figures.site import build_site

        build_site(SITE)
    return SITE


@pytest.fixture(scope="module")
def server(site):
    """``http://127.0.0.1:<port>/`` serving the site until the module's tests end."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _load(browser, url: str, screenshot: Path | None = None):
    """Load ``url``; return (page, problems, links). The caller closes the page."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.evaluate(_IMAGES_SETTLED)
    page.evaluate(_MATHJAX_DONE)
    problems += [f"image not loaded: {src}" for src in page.evaluate(_BROKEN_IMAGES)]
    problems += page.evaluate(_MATH_PROBLEMS)
    problems += page.evaluate(_RENDER_ERRORS)
    links = page.evaluate(_LINKS)
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    return page, problems, links


def _dead_links(links: list[str], base: str) -> list[str]:
    """Links into the site whose target file does not exist."""
    dead = []
    for href in links:
        if not href.startswith(base):
            continue
        path = unquote(urlsplit(href).path)
        target = SITE / path.lstrip("/")
        if path.endswith("/"):
            target = target / "index.html"
        if not target.exists():
            dead.append(href)
    return dead


def test_site_has_the_pages(site):
    names = {p.relative_to(site).as_posix() for p in _pages()}
    from analysis import TOPICS

    want = {"index.html", "pages/gallery.html", "pages/ledger.html"}
    want |= {f"topics/{t}.html" for t in TOPICS} | {f"api/{t}.html" for t in TOPICS}
    assert want <= names, f"missing pages: {sorted(want - names)}"


def test_every_page_loads_cleanly(browser, server, screenshots):
    failures = {}
    for path in _pages():
        rel = path.relative_to(SITE).as_posix()
        shot = screenshots / (rel.replace("/", "__").removesuffix(".html") + ".png")
        page, problems, links = _load(browser, urljoin(server, rel), shot)
        page.close()
        problems += [f"broken link: {href}" for href in _dead_links(links, server)]
        if problems:
            failures[rel] = problems
    assert not failures, "\n".join(f"{rel}:\n  " + "\n  ".join(p[:20]) for rel, p in failures.items())


def test_ledger_table_shows_every_claim(browser, server):
    from analysis._core.claims import get_claims

    page, problems, _ = _load(browser, urljoin(server, "pages/ledger.html"))
    try:
        assert not problems, problems
        table = page.locator("#ledger-table")
        assert table.is_visible()
        headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
        for col in ("id", "source", "statement", "status", "slack", "tolerance", "seeds swept"):
            assert col in headers, f"ledger table lacks column {col!r}: {headers}"
        rows = page.eval_on_selector_all(
            "#ledger-table tbody tr",
            "rows => rows.map(r => [r.dataset.claimId, r.cells[0].innerText.trim(),"
            " r.cells[3].innerText.trim(), r.getBoundingClientRect().height > 0])")
    finally:
        page.close()
    shown = {r[0] for r in rows}
    ids = {c.id for c in get_claims()}
    assert ids - shown == set(), f"claims missing from the ledger page: {sorted(ids - shown)}"
    assert shown - ids == set(), f"unknown claims on the ledger page: {sorted(shown - ids)}"
    assert len(rows) == len(ids), "a claim appears twice in the ledger table"
    for cid, text, status, visible in rows:
        assert text == cid and visible, f"row of {cid} is not shown as its id: {text!r}"
        assert status in ("pass", "fail", "error"), f"{cid}: status cell {status!r}"


def test_gallery_shows_every_figure_with_caption_and_data(browser, server):
    from analysis._core.registry import get_figures

    page, problems, _ = _load(browser, urljoin(server, "pages/gallery.html"))
    try:
        assert not problems, problems
        figs = page.eval_on_selector_all(
            "figure",
            "fs => fs.map(f => ({src: f.querySelector('img')?.getAttribute('src') || '',"
            " ok: !!f.querySelector('img')?.naturalWidth, caption: f.innerText,"
            " data: [...f.querySelectorAll('a')].map(a => a.href)}))")
    finally:
        page.close()
    by_stem = {Path(f["src"]).stem: f for f in figs}
    for spec in get_figures():
        f = by_stem.get(spec.name)
        assert f is not None, f"gallery shows no image of {spec.name} (committed figures/{spec.name}.png?)"
        assert f["ok"], f"{spec.name}: image not decoded"
        assert " ".join(spec.title.split()) in " ".join(f["caption"].split()), \
            f"{spec.name}: caption lacks its registered title {spec.title!r}"
        json_links = [h for h in f["data"] if h.endswith(f"/{spec.name}.json")]
        assert json_links, f"{spec.name}: no link to its JSON data"
        assert not _dead_links(json_links, server), f"{spec.name}: JSON link is dead"
