"""Real-browser tests: Debian's Chromium (its headless shell) driven by Playwright against a
live Werkzeug server.

One browser for the session (pytest-playwright's `browser`), a fresh context per test, a fresh
app, database and SMTP sink per test; or, for pages that only read, one server and data seeded
once per module (`module_live_server`, `open_module_tab`). The browser speaks French
(Accept-Language: fr-FR).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from forum.extensions import db
from tests import factories
from tests.services import CHROMIUM, SMTPSink, chromium_available, free_port, need

HERE = Path(__file__).resolve().parent

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Fail fast: every page here answers in milliseconds.
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config, items) -> None:
    """Every test in this folder drives a real browser."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _chromium_installed() -> None:
    """Skip (or fail under CI=true) before anything tries to launch a browser."""
    need(
        chromium_available(),
        f"Chromium is not installed at {CHROMIUM} (apt-get install chromium-headless-shell)",
    )


@pytest.fixture(scope="session")
def browser_type_launch_args(_chromium_installed, browser_type_launch_args) -> dict:
    """Launch the system Chromium: `playwright install` cannot download one here."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url() -> None:
    """Each test's live server gives the URL (see `new_context`), never --base-url.

    This also replaces pytest-playwright's fallback `base_url` fixture (used when
    pytest-base-url is not installed): it is an instance method of a plugin class, which
    pytest 9 warns about (PytestRemovedIn10Warning), and warnings are errors here.
    """
    return None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args) -> dict:
    """A visitor whose browser asks for French, the site's default language."""
    return {**browser_context_args, "locale": "fr-FR", "timezone_id": "Europe/Paris"}


class _RequestHandler(WSGIRequestHandler):
    # Werkzeug writes the headers and the body in separate sends: with Nagle's algorithm
    # each keep-alive response then waits for the browser's delayed ACK (about 40 ms).
    disable_nagle_algorithm = True


def _closing_on_drop(app):
    """Close every response's iterable even when the browser drops the connection mid-send.

    Werkzeug's server calls `close()` after reading what is left of the request, and that read
    raises on a reset connection (a page left while its favicon was still sent), so the file
    of a static response stayed open: an "unclosed file" warning at random, which the suite
    treats as an error. Iterating through this generator closes it when the frame goes."""

    def wsgi(environ, start_response):
        iterable = app(environ, start_response)
        try:
            yield from iterable
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return wsgi


@dataclass
class LiveServer:
    url: str
    app: Flask
    smtp: SMTPSink
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def send_outbox(self) -> str:
        """Run the real `flask outbox send`; return its output."""
        with self.app.app_context():
            result = self.app.test_cli_runner().invoke(args=["outbox", "send"])
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    @contextmanager
    def seed(self) -> Iterator[object]:
        """Create data with tests.factories inside the app's context, then commit.

        Read what the test needs (ids, e-mails, slugs) inside the block: the objects are
        detached once it ends.
        """
        with self.app.app_context():
            yield factories
            db.session.commit()

    def mails_to(self, address: str) -> list[EmailMessage]:
        return self.smtp.to(address)

    def link_in_mail(self, address: str, path_prefix: str) -> str:
        """The one link starting with `url + path_prefix` in the last mail to `address`."""
        mails = self.mails_to(address)
        assert mails, f"no mail to {address}; the sink has {len(self.smtp.messages)} mail(s)"
        text = SMTPSink.text(mails[-1])
        links = re.findall(re.escape(self.url + path_prefix) + r"\S+", text)
        assert len(links) == 1, f"expected one {path_prefix} link in:\n{text}"
        return links[0]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve(make_app, smtp: SMTPSink) -> LiveServer:
    """The app on 127.0.0.1:<free port>, its fresh database, mail to a real SMTP sink."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        # Flask-Mail suppresses sending when TESTING is on (MAIL_SUPPRESS_SEND defaults to
        # app.testing): the outbox would mark mails "sent" that never left.
        MAIL_SUPPRESS_SEND=False,
        OUTBOX_SEND_INLINE=False,
        BASE_URL=url,
    )
    server = make_server(
        "127.0.0.1", port, _closing_on_drop(app), threaded=True, request_handler=_RequestHandler
    )
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # shutdown() waits up to one interval
        name="live-server",
        daemon=True,
    )
    thread.start()
    return LiveServer(url=url, app=app, smtp=smtp, _server=server, _thread=thread)


@pytest.fixture
def live_server(make_app, smtp) -> Iterator[LiveServer]:
    """The test's own live server (see `serve`)."""
    live = serve(make_app, smtp)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def module_live_server(make_module_app) -> Iterator[LiveServer]:
    """One live server for a whole module, on one database: for tests that only read pages
    of data seeded once (see `make_module_app`)."""
    smtp = SMTPSink().start()
    live = serve(make_module_app, smtp)
    yield live
    live.stop()
    smtp.stop()


@pytest.fixture(scope="module")
def open_module_tab(browser, browser_context_args, module_live_server):
    """Open a tab (a page in its own context: its own cookies) on the module's live server,
    for the whole module; the contexts close before the server stops."""
    contexts = []

    def open_tab(**kwargs):
        ctx = browser.new_context(
            **{**browser_context_args, "base_url": module_live_server.url, **kwargs}
        )
        ctx.set_default_timeout(TIMEOUT_MS)
        contexts.append(ctx)
        return ctx.new_page()

    yield open_tab
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def new_context(live_server, new_context):
    """pytest-playwright's `new_context`, pointed at this test's live server.

    `live_server` comes first, so the contexts close before the server stops.
    """

    def make(**kwargs):
        kwargs.setdefault("base_url", live_server.url)
        ctx = new_context(**kwargs)
        ctx.set_default_timeout(TIMEOUT_MS)
        return ctx

    return make


@pytest.fixture
def context(new_context):
    """The context behind pytest-playwright's `page` fixture: French, on the live server."""
    return new_context()
