"""Real outside parts for the tests: PostgreSQL, Redis, Chromium, an SMTP server.

Where one is missing the test skips with the reason; under CI=true it fails instead, so
that CI never passes by skipping.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

POSTGRES_URI = os.environ.get(
    "FORUM_TEST_POSTGRES_URI", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URI = os.environ.get("FORUM_TEST_REDIS_URI", "redis://127.0.0.1:6379/0")
# Debian's old headless shell when it is installed (package chromium-headless-shell): the
# same engine without the desktop browser's compositing, it costs the browser tests half
# their CPU time (a page load 27 ms against 41, a new context 43 ms against 210). Debian's
# full Chromium otherwise.
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
CHROMIUM = os.environ.get(
    "FORUM_TEST_CHROMIUM",
    HEADLESS_SHELL if os.path.exists(HEADLESS_SHELL) else "/usr/bin/chromium",
)


def need(available: bool, reason: str) -> None:
    """Skip (or, under CI, fail) when an outside part is missing."""
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must not skip: {reason}")
    pytest.skip(reason)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def postgres_available() -> bool:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False
    return port_open("127.0.0.1", 5432)


def redis_available() -> bool:
    return port_open("127.0.0.1", 6379)


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SMTPSink:
    """An aiosmtpd server on 127.0.0.1 that keeps what it receives."""

    port: int = 0
    delay: float = 0.0  # seconds per message, to make concurrent senders overlap
    messages: list[EmailMessage] = field(default_factory=list)
    _controller: object | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
        if self.delay:
            await asyncio.sleep(self.delay)
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(msg)
        return "250 OK"

    def start(self) -> SMTPSink:
        from aiosmtpd.controller import Controller

        self.port = self.port or free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def text(msg: EmailMessage) -> str:
        part = msg.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""
