"""A Chromium for the dashboard: full HD, zh-CN, and a JS heap the tests can measure."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def dashboard_page(chromium_path: str, live_server: Any) -> Iterator[Any]:
    """Like `browser_page`, at 1920×1080, with `gc()` exposed and unrounded heap sizes
    (`performance.memory` is coarse and noisy without --enable-precise-memory-info)."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--js-flags=--expose-gc",
                "--enable-precise-memory-info",
            ],
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
