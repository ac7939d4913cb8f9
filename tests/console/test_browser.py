"""The console in a real Chromium against a real Mosquitto and a real `zhian run`: log in,
see an alert published by a device arrive live, acknowledge it in the page, and the API
agrees; role checks; Chinese by default with an English toggle that is remembered."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import cv2
import numpy as np
import orjson
import paho.mqtt.client as mqtt
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import DEVICES
from tests.console.browser import chromium
from tests.console.conftest import PASSWORDS, Client, add_users
from tests.live.test_exactly_once import wait_for
from zhian.broker import LocalBroker, free_port
from zhian.console.db import ConsoleDB
from zhian.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.mqtt]


@dataclass
class Live:
    """Mosquitto + `zhian run` (with its console) as separate processes."""

    broker: LocalBroker
    url: str
    store: Path
    log: Path

    def publish(self, device: str, etype: str, eid: str, data: dict[str, object] | None = None) -> int:
        """Publish one device event at QoS 1, stamped now; returns its event time."""
        ts = int(time.time() * 1000)
        body: dict[str, object] = {"v": 1, "id": eid, "ts": ts, "device": device, "type": etype}
        if data:
            body["data"] = data
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"dev-{eid}", protocol=mqtt.MQTTv5)
        pub.connect("127.0.0.1", self.broker.port)
        pub.loop_start()
        pub.publish(f"zhian/cyl/{device}/events", orjson.dumps(body), qos=1).wait_for_publish(10)
        pub.loop_stop()
        pub.disconnect()
        return ts




@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """`zhian run --console 127.0.0.1:PORT` on a real Mosquitto, with a user per role."""
    tmp = tmp_path_factory.mktemp("console-live")
    broker = LocalBroker(tmp / "mosquitto").start()
    users = ConsoleDB(tmp / "console.db")
    add_users(users)
    users.close()
    port = free_port()
    log = tmp / "zhian.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zhian.cli", "run", "--broker", broker.address, "--devices", str(DEVICES),
             "--store", str(tmp / "zhian.db"), "--client-id", "zhian-console-test", "--no-cameras",
             "--console", f"127.0.0.1:{port}"], stdout=out, stderr=out, cwd=tmp)
    live = Live(broker, f"http://127.0.0.1:{port}", tmp / "zhian.db", log)
    try:
        wait_for(lambda: "connected to" in log.read_text(errors="replace"), 30, "the processor to connect")
        wait_for(lambda: Client(live.url).get("/healthz").status == 200, 30, "the console to listen")
        yield live
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        finally:
            broker.stop()
    assert proc.returncode == 0, log.read_text(errors="replace")[-3000:]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A fresh Chromium profile per test."""
    driver = chromium(tmp_path / "chromium-profile")
    try:
        yield driver
    finally:
        driver.quit()


def log_in(driver: webdriver.Chrome, url: str, user: str) -> None:
    """Log in through the login page's form and wait for the live alert stream."""
    driver.get(url + "/")
    WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith("/login"))
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(PASSWORDS[user])
    driver.find_element(By.ID, "login-button").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "view") and d.find_elements(By.ID, "who")
                                    and d.find_element(By.ID, "who").text.startswith(user))


def wait_live(driver: webdriver.Chrome) -> None:
    """Until the page's SSE stream is connected."""
    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "live").get_attribute("data-state") == "up")


def rows(driver: webdriver.Chrome) -> list[dict[str, str]]:
    """The alert rows as the page shows them now (one atomic read: the list re-renders live)."""
    return driver.execute_script(  # type: ignore[no-any-return]
        "return [...document.querySelectorAll('tr.alert-row')].map(r => ({alert: r.dataset.alert,"
        " rule: r.dataset.rule, state: r.dataset.state, cls: r.className, text: r.innerText,"
        " ack: !!r.querySelector('.ack-btn')}));")


def alarm(driver: webdriver.Chrome) -> str:
    """The page's alarm: on or off."""
    return str(driver.execute_script("return document.body.dataset.alarm"))


def click(driver: webdriver.Chrome, css: str) -> None:
    """Click an element, finding it again when a live re-render replaced it."""
    def attempt(d: webdriver.Chrome) -> bool:
        try:
            d.find_element(By.CSS_SELECTOR, css).click()
            return True
        except StaleElementReferenceException:
            return False
    WebDriverWait(driver, 10, poll_frequency=0.05).until(attempt)


def test_alert_arrives_live_and_is_acknowledged_in_the_page(live: Live, browser: webdriver.Chrome) -> None:
    log_in(browser, live.url, "desk")
    wait_live(browser)
    assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
    before = {r["alert"] for r in rows(browser)}

    t_publish = time.monotonic()  # before connecting and publishing: the figure includes the MQTT path
    published = live.publish("gate-south", "door.forced", "forced-browser-1")

    def new_row(d: webdriver.Chrome) -> dict[str, str] | bool:
        fresh = [r for r in rows(d) if r["rule"] == "door_forced" and r["alert"] not in before]
        return fresh[0] if fresh else False

    first = WebDriverWait(browser, 20, poll_frequency=0.05).until(new_row)
    assert isinstance(first, dict)
    print(f"\ndoor.forced published → alert row visible in Chromium after {time.monotonic() - t_publish:.3f} s")
    alert_id = first["alert"]

    def mine(d: webdriver.Chrome) -> dict[str, str]:
        return next(r for r in rows(d) if r["alert"] == alert_id)

    # critical and unacknowledged: loud (red row, banner, alarm on) until acknowledged
    assert "loud" in first["cls"] and first["ack"]
    assert "紧急" in first["text"] and "新告警" in first["text"]
    assert alarm(browser) == "on"
    assert browser.find_element(By.ID, "alarm-banner").is_displayed()

    click(browser, f"tr.alert-row[data-alert='{alert_id}'] .ack-btn")
    t_click = time.monotonic()
    # the desk has acted: the alarm stops at once, the row says it is being acknowledged
    WebDriverWait(browser, 10, poll_frequency=0.05).until(lambda d: alarm(d) == "off")
    print(f"acknowledge clicked → alarm off after {time.monotonic() - t_click:.3f} s")
    WebDriverWait(browser, 20, poll_frequency=0.05).until(lambda d: mine(d)["state"] == "acknowledged")
    print(f"acknowledge clicked → row shows 已确认 after {time.monotonic() - t_click:.3f} s")
    acked = mine(browser)
    assert "已确认" in acked["text"] and "loud" not in acked["cls"] and not acked["ack"]
    assert alarm(browser) == "off"
    assert not browser.find_element(By.ID, "alarm-banner").is_displayed()

    # the API agrees, and so do the store's outbox and audit log
    api = Client(live.url)
    api.login("admin")
    alert = api.get(f"/api/alerts/{alert_id}").json()
    assert alert["state"] == "acknowledged" and alert["acknowledged"] and not alert["loud"]
    assert alert["device"] == "gate-south" and alert["ts_ms"] >= published - 1
    assert [h["state"] for h in alert["history"]] == ["raised", "acknowledged"]
    assert [n["kind"] for n in alert["notes"]] == ["ack"] and alert["notes"][0]["user"] == "desk"
    store = Store(live.store)
    try:
        acks = [e for e in store.audit_log() if e["action"] == "alert.ack" and e["detail"]["alert"] == alert_id]
        assert [(e["user"], e["detail"]["via"]) for e in acks] == [("desk", "console")]
        assert store.audit_chain_ok()
    finally:
        store.close()


def test_police_sees_no_acknowledge_button_and_is_refused(live: Live, browser: webdriver.Chrome) -> None:
    live.publish("lobby-3-1", "door.forced", "forced-browser-police")
    log_in(browser, live.url, "police")
    wait_live(browser)
    WebDriverWait(browser, 20).until(lambda d: any(r["rule"] == "door_forced" for r in rows(d)))
    assert browser.find_elements(By.CSS_SELECTOR, ".ack-btn") == []
    assert browser.find_elements(By.CSS_SELECTOR, ".clear-btn") == []
    assert browser.find_element(By.ID, "nav-timeline").is_displayed()
    assert not browser.find_element(By.ID, "nav-devices").is_displayed()
    alert_id = next(r["alert"] for r in rows(browser) if r["rule"] == "door_forced")
    # the same request the desk's button makes, from the police session in the page itself
    status = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"fetch('/api/alerts/{alert_id}/ack', {{method: 'POST', headers: {{'Content-Type': 'application/json'}},"
        " body: '{}'}).then(async r => done([r.status, (await r.json()).detail]));")
    assert status[0] == 403 and "police" in status[1] and "alerts.act" in status[1]

    # the police timeline page: query and export are offered (and the query answers)
    browser.get(live.url + "/#/timeline")
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.ID, "tl-search"))
    browser.find_element(By.ID, "tl-search").click()
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.ID, "tl-count"))
    assert browser.find_elements(By.ID, "tl-export")


def test_desk_cannot_export(live: Live, browser: webdriver.Chrome) -> None:
    log_in(browser, live.url, "desk")
    assert not browser.find_element(By.ID, "nav-timeline").is_displayed()
    now = int(time.time() * 1000)
    status = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"fetch('/api/timeline/export?from_ms={now - 3600_000}&to_ms={now}')"
        ".then(async r => done([r.status, (await r.json()).detail]));")
    assert status[0] == 403 and "timeline.export" in status[1]


def test_chinese_by_default_and_english_toggle_is_remembered(live: Live, browser: webdriver.Chrome) -> None:
    browser.get(live.url + "/login")
    # the pages fill their texts from script: wait for them rather than read at once
    WebDriverWait(browser, 15).until(lambda d: text_of(d, "login-button") == "登录")
    log_in(browser, live.url, "installer")
    WebDriverWait(browser, 15).until(lambda d: text_of(d, "nav-devices") == "设备")
    assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#devices tr[data-device]"))
    WebDriverWait(browser, 15).until(lambda d: "在线" in text_of(d, "online-count"))
    assert {"大门", "电梯", "外立面"} <= zones_shown(browser)
    browser.find_element(By.ID, "lang-toggle").click()
    WebDriverWait(browser, 15).until(lambda d: text_of(d, "nav-devices") == "Devices")
    assert browser.execute_script("return document.documentElement.lang") == "en"
    browser.refresh()
    WebDriverWait(browser, 15).until(lambda d: text_of(d, "nav-devices") == "Devices")
    WebDriverWait(browser, 15).until(lambda d: "Online" in text_of(d, "online-count"))
    assert {"Gate", "Elevator", "Facade"} <= zones_shown(browser)
    places = browser.execute_script("return [...document.querySelectorAll('#devices tbody tr')]"
                                    ".map(r => r.children[4].innerText)")
    assert not any(ch in p for p in places for ch in "栋单元层"), places


def zones_shown(driver: webdriver.Chrome) -> set[str]:
    """The zone names of the devices table (devices.yaml's ids, translated)."""
    return set(driver.execute_script("return [...document.querySelectorAll('#devices td.zone')].map(c => c.innerText)"))


def text_of(driver: webdriver.Chrome, element_id: str) -> str:
    """The element's text, or "" while it is not in the page yet."""
    found = driver.find_elements(By.ID, element_id)
    return found[0].text if found else ""


def test_alert_page_shows_the_trajectory_image_and_the_events_behind(live: Live, browser: webdriver.Chrome) -> None:
    # the file the camera worker would have written for this detection (zhian/cameras.py names)
    image = np.zeros((240, 160, 3), np.uint8)
    cv2.line(image, (80, 20), (90, 220), (0, 0, 255), 3)
    cv2.putText(image, "F11", (5, 60), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    folder = live.store.parent / "evidence" / "cam-b3-north"
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "cam-b3-north-f000120-t3.png"), image)
    live.publish("cam-b3-north", "throwing.detected", "throw-browser-1",
                 {"floor": 11, "column": 3, "confidence": 0.93, "frame": 120, "start_frame": 100,
                  "evidence": ["cam-b3-north/cam-b3-north-f000120-t3.mp4", "cam-b3-north/cam-b3-north-f000120-t3.png"]})
    log_in(browser, live.url, "desk")
    wait_live(browser)
    thrown = WebDriverWait(browser, 20, poll_frequency=0.05).until(
        lambda d: next((r for r in rows(d) if r["rule"] == "object_thrown"), False))
    assert isinstance(thrown, dict) and "高空抛物" in thrown["text"] and "11" in thrown["text"]
    click(browser, f"tr.alert-row[data-alert='{thrown['alert']}'] td.summary")
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "img.trajectory"))
    loaded = WebDriverWait(browser, 15).until(lambda d: d.execute_script(
        "const i = document.querySelector('img.trajectory'); return i.complete && i.naturalWidth"))
    assert loaded == 160  # the PNG itself, fetched with the session
    events = browser.find_element(By.ID, "alert-events").text
    assert "throwing.detected" in events and "cam-b3-north" in events
    assert browser.find_elements(By.CSS_SELECTOR, ".evidence video")  # the clip is offered beside it


def test_pages_fit_a_1366x768_desk_monitor_without_sideways_scrolling(live: Live, browser: webdriver.Chrome) -> None:
    live.publish("lobby-4-2", "door.forced", "forced-browser-fit")
    log_in(browser, live.url, "admin")
    wait_live(browser)
    WebDriverWait(browser, 20).until(lambda d: any(r["rule"] == "door_forced" for r in rows(d)))
    assert browser.execute_script("return [window.innerWidth, window.innerHeight]")[0] <= 1366
    for page in ("/#/alerts", "/#/devices", "/#/timeline", "/#/users"):
        browser.get(live.url + page)
        WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.ID, "view"))
        time.sleep(0.3)  # let the page render its list
        wide = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{page} is {wide} px wider than the window"


def test_a_session_past_its_12_hours_ends_and_the_page_returns_to_the_login_form(
        live: Live, browser: webdriver.Chrome) -> None:
    log_in(browser, live.url, "installer")
    browser.get(live.url + "/#/devices")
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#devices tr[data-device]"))
    # an open page keeps its session from idling out (its live stream); the 12-hour limit holds
    with sqlite3.connect(live.store.parent / "console.db") as db:
        aged = db.execute("UPDATE sessions SET created_ms = created_ms - 13 * 3600000"
                          " WHERE user = 'installer'").rowcount
    assert aged >= 1
    click(browser, "#view .toolbar button")
    WebDriverWait(browser, 15).until(lambda d: urlsplit(d.current_url).path == "/login")
    browser.get(live.url + "/#/devices")  # the old cookie opens nothing any more
    WebDriverWait(browser, 15).until(lambda d: urlsplit(d.current_url).path == "/login")
    assert text_of(browser, "login-button") == "登录"


def test_admin_adds_a_user_in_the_page_who_then_logs_in(live: Live, browser: webdriver.Chrome) -> None:
    log_in(browser, live.url, "desk")
    assert not browser.find_element(By.ID, "nav-users").is_displayed()  # admins only
    click(browser, "#logout")
    WebDriverWait(browser, 15).until(lambda d: urlsplit(d.current_url).path == "/login")
    log_in(browser, live.url, "admin")
    browser.find_element(By.ID, "nav-users").click()
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#users tr[data-user='admin']"))
    assert not browser.find_elements(By.CSS_SELECTOR, "#users tr[data-user='admin'] .remove-btn")  # not oneself
    browser.find_element(By.ID, "new-name").send_keys("guard-9")
    browser.find_element(By.CSS_SELECTOR, "#new-role option[value='desk']").click()
    browser.find_element(By.ID, "new-password").send_keys("night-shift-9090")
    browser.find_element(By.ID, "add-user").click()
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#users tr[data-user='guard-9']"))
    row = browser.find_element(By.CSS_SELECTOR, "#users tr[data-user='guard-9']")
    assert row.get_attribute("data-role") == "desk" and "监控值班" in row.text
    browser.find_element(By.ID, "new-name").send_keys("guard-9")  # the same name again: refused, said why
    browser.find_element(By.ID, "new-password").send_keys("night-shift-9090")
    browser.find_element(By.ID, "add-user").click()
    WebDriverWait(browser, 15).until(lambda d: "exists already" in text_of(d, "users-message"))
    click(browser, "#logout")
    WebDriverWait(browser, 15).until(lambda d: urlsplit(d.current_url).path == "/login")
    browser.find_element(By.ID, "username").send_keys("guard-9")
    browser.find_element(By.ID, "password").send_keys("night-shift-9090")
    browser.find_element(By.ID, "login-button").click()
    WebDriverWait(browser, 15).until(lambda d: text_of(d, "who").startswith("guard-9"))
