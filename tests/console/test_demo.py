"""Acceptance as a new user meets it (README command 1, `zhian demo`): the console's URL and
logins are printed, a simulated incident appears in Chromium on its own and is acknowledged
there. Prints how long each alert took from its event time to the page (no assertion on it)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import DEVICES
from tests.console.browser import chromium
from tests.console.conftest import Client
from tests.console.test_browser import click, rows, wait_live
from tests.live.test_exactly_once import wait_for
from zhian.broker import free_port

pytestmark = [pytest.mark.browser, pytest.mark.mqtt, pytest.mark.slow]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`zhian demo` with an incident every 3 s; its console URL and the logins it printed."""
    out = tmp_path / "demo.out"
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zhian.cli", "demo", "--devices", str(DEVICES),
             "--store", str(tmp_path / "zhian.db"), "--port", str(free_port()),
             "--console", f"127.0.0.1:{free_port()}", "--incident-every", "3", "--duration", "120"],
            stdout=sink, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        wait_for(lambda: "login admin" in out.read_text(errors="replace"), 60, "the demo to print its logins")
        text = out.read_text(errors="replace")
        url = re.search(r"console: (http://\S+)", text)
        assert url is not None, text
        logins = dict(re.findall(r"login (\w+)\s+password (\S+)", text))
        assert set(logins) == {"desk", "installer", "police", "admin"}
        yield url.group(1).rstrip("/"), logins
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def test_demo_incident_appears_in_the_console_and_is_acknowledged(demo: tuple[str, dict[str, str]],
                                                                  tmp_path: Path) -> None:
    url, logins = demo
    browser: webdriver.Chrome = chromium(tmp_path / "profile")
    try:
        browser.get(url + "/")
        WebDriverWait(browser, 15).until(lambda d: d.current_url.endswith("/login"))
        assert browser.find_element(By.ID, "login-button").text == "登录"
        browser.find_element(By.ID, "username").send_keys("desk")
        browser.find_element(By.ID, "password").send_keys(logins["desk"])
        browser.find_element(By.ID, "login-button").click()
        wait_live(browser)
        api = Client(url)
        api.login("admin", logins["admin"])
        seen: dict[str, float] = {}
        deadline = time.monotonic() + 45
        # watch the page until a few alerts have come in on their own
        while time.monotonic() < deadline and (len(seen) < 3 or not any(r["ack"] for r in rows(browser))):
            for r in rows(browser):
                seen.setdefault(r["alert"], time.time())
            time.sleep(0.05)
        assert seen, "no alert reached the page"
        for alert, at in seen.items():
            a = api.get(f"/api/alerts/{alert}").json()
            print(f"\n{a['rule']:<24} event time → visible in the page: {at - a['raised_ms'] / 1000:6.3f} s")
        target = next(r for r in rows(browser) if r["ack"])
        click(browser, f"tr.alert-row[data-alert='{target['alert']}'] .ack-btn")

        def done(d: webdriver.Chrome) -> bool:
            # rules cleared by acknowledgement (charger_alarm, …) leave the default "open only" list
            shown = [r["state"] for r in rows(d) if r["alert"] == target["alert"]]
            return shown in (["acknowledged"], []) and api.get(f"/api/alerts/{target['alert']}").json()["acknowledged"]
        WebDriverWait(browser, 30, poll_frequency=0.1).until(done)
    finally:
        browser.quit()
