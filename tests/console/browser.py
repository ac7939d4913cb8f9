"""Chromium through Selenium, the way the browser tests need it: Debian's chromedriver
given explicitly (Selenium Manager never downloads anything), headless, a fresh profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def chromium(profile: Path) -> webdriver.Chrome:
    """A headless Chromium at desk-monitor size; fails (never skips) when it is not installed."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.fail("Chromium is not installed: `apt-get install chromium chromium-driver` "
                    "(ZHIAN_EXTRAS=test bash scripts/setup.sh does it)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1366,768", "--autoplay-policy=no-user-gesture-required", "--lang=zh-CN",
                f"--user-data-dir={profile}"):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
