"""A real node and a real browser for the portal journeys.

The node runs in this process (uvicorn in a daemon thread) on a fresh SQLite
database holding the demo region; the browser is Debian's ``chromium``
package driven by Playwright. Browser tests must run in CI, so a missing
browser fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from govdata.app import create_app
from govdata.cli_support import as_operator, prepare_node
from govdata.demo import load_demo
from govdata.settings import Settings

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STARTUP_TIMEOUT_SECONDS = 10.0
SHUTDOWN_TIMEOUT_SECONDS = 10.0


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("GOVDATA_CHROMIUM", DEFAULT_CHROMIUM)
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"No Chromium executable at {path}. Run scripts/ensure-chromium.sh to install "
            "Debian's chromium package, or set GOVDATA_CHROMIUM to an existing Chromium.",
            pytrace=False,
        )
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running node loaded with the demo region and accounts."""
    data_dir = tmp_path_factory.mktemp("govdata-node")
    settings = Settings(data_dir=data_dir, database_url=None)
    db = prepare_node(settings)
    as_operator(settings, db, load_demo)
    app = create_app(settings, db)
    # Bound here and handed to uvicorn, so no other process (another pytest-xdist worker)
    # can take the port between choosing it and serving on it.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="govdata-live-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive():
            pytest.fail("the live server stopped while starting; see its log above", pytrace=False)
        if time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail(
                f"the live server did not start within {STARTUP_TIMEOUT_SECONDS} s", pytrace=False
            )
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=SHUTDOWN_TIMEOUT_SECONDS)
        listener.close()
        db.dispose()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own context: no cookies shared between tests."""
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(5_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()
