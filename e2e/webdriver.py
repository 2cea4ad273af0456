"""A minimal W3C WebDriver client (standard library only) for WebKit's WebKitWebDriver.

Playwright's WebKit is its own build; Safari's engine as Debian ships it is driven
through `webkit2gtk-driver` (WebKitWebDriver + MiniBrowser), under Xvfb. Only what the
WebKit test needs: a session, navigation, finding elements (waiting for them), click,
typing, text.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

DRIVER = "/usr/bin/WebKitWebDriver"
MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def missing() -> str | None:
    """Why WebKit cannot run here, or None."""
    for path in (DRIVER, MINIBROWSER):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (apt-get install webkit2gtk-driver)"
    if shutil.which("xvfb-run") is None:
        return "xvfb-run is missing (apt-get install xvfb)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WebKit:
    def __init__(self, port: int, base_url: str) -> None:
        self.port, self.base_url, self.session = port, base_url, ""

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as error:
            raise AssertionError(f"WebDriver {method} {path}: {error.read()!r}") from error

    def s(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.call(method, f"/session/{self.session}{path}", body)

    def go(self, path: str) -> None:
        self.s("POST", "/url", {"url": self.base_url + path})

    @property
    def url(self) -> str:
        return str(self.s("GET", "/url"))

    def find(self, css: str = "", *, xpath: str = "", timeout: float = 15.0) -> str:
        using, value = ("xpath", xpath) if xpath else ("css selector", css)
        deadline = time.monotonic() + timeout
        while True:
            found = self.s("POST", "/elements", {"using": using, "value": value})
            if found:
                return str(found[0][ELEMENT])
            if time.monotonic() > deadline:
                raise AssertionError(f"no element {value!r} on {self.url}")
            time.sleep(0.2)

    def click(self, css: str = "", *, xpath: str = "") -> None:
        self.s("POST", f"/element/{self.find(css, xpath=xpath)}/click", {})

    def type(self, css: str, text: str) -> None:
        element = self.find(css)
        self.s("POST", f"/element/{element}/clear", {})
        self.s("POST", f"/element/{element}/value", {"text": text})

    def text(self, css: str) -> str:
        return str(self.s("GET", f"/element/{self.find(css)}/text"))

    def wait_text(self, css: str, wanted: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(AssertionError):
                found = self.text(css)
                if wanted in found:
                    return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{wanted!r} never appeared in {css!r} on {self.url}")
            time.sleep(0.2)


@contextlib.contextmanager
def webkit_session(base_url: str) -> Iterator[WebKit]:
    """WebKitWebDriver under a private Xvfb display, one MiniBrowser session."""
    port = _free_port()
    process = subprocess.Popen(
        ["xvfb-run", "-a", DRIVER, f"--port={port}"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    browser = WebKit(port, base_url)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                browser.call("GET", "/status")
                break
            except (OSError, AssertionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        options = {"binary": MINIBROWSER, "args": ["--automation"]}
        capabilities = {"browserName": "MiniBrowser", "webkitgtk:browserOptions": options}
        created = browser.call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
        browser.session = created["sessionId"]
        yield browser
    finally:
        if browser.session:
            with contextlib.suppress(Exception):
                browser.s("DELETE", "")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
