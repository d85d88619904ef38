"""Real-browser tests: the built site and JupyterLab, in headless Chromium through Playwright.

They are slow (minutes), so ``make test`` skips them; ``make test-browser`` sets
``ANALYSIS_BROWSER_TESTS=1`` and runs them. Without the ``playwright`` package or a Chromium
binary they skip with the reason. Playwright cannot download its own browser on machines without
internet access, so the tests drive the system Chromium (Debian package ``chromium``); another
binary can be given with ``ANALYSIS_CHROMIUM=/path/to/chrome``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "site" / "_screenshots"


def chromium_path() -> str | None:
    """The Chromium binary to drive, or None."""
    env = os.environ.get("ANALYSIS_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(name).is_file():
            return name
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: real-browser test (make test-browser)")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    reason = None
    if os.environ.get("ANALYSIS_BROWSER_TESTS") != "1":
        reason = "real-browser test: run with `make test-browser` (ANALYSIS_BROWSER_TESTS=1)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = ("playwright is not installed: pip install -e '.[docs]' "
                      "(the docs extra) to run the browser tests")
        else:
            if chromium_path() is None:
                reason = ("no Chromium binary (/usr/bin/chromium): apt-get install -y chromium, "
                          "or set ANALYSIS_CHROMIUM")
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium (the system binary) driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # --no-sandbox: Chromium's sandbox cannot start as root (containers, CI).
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True,
                               args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Folder for the review screenshots (``build/site/_screenshots``)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
