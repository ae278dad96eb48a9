"""The public page in a real headless Chromium: it loads, shows the principles and the next
meeting, finds an organisation, switches language, and never reaches beyond 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.public_site import served

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PAGES = ("/", "/readings", "/groups", "/members", "/meetings", "/decisions")


def _browser() -> Any:
    """Headless Chromium through the system's chromedriver; Selenium fetches nothing."""
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--window-size=390,844",  # a phone
        # Every name but 127.0.0.1 fails to resolve: a request elsewhere cannot succeed.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",  # and nothing goes out through a proxy either
        "--proxy-bypass-list=127.0.0.1",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))


def _requested(driver: Any) -> list[str]:
    """Every URL the browser asked for since the last call (CDP Network events)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _follow(driver: Any, element: Any) -> None:
    """Click a link or button and wait until the next page has replaced this one."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    page = driver.find_element("tag name", "html")
    element.click()
    WebDriverWait(driver, 10).until(expected_conditions.staleness_of(page))


def _browse(base: str, shots: Path) -> list[str]:
    """Walk the pages as a reader would; every URL requested."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    driver = _browser()
    requested: list[str] = []
    try:
        for path in PAGES:
            driver.get(base + path)
            assert driver.find_element(By.TAG_NAME, "h1").text
            driver.save_screenshot(str(shots / f"{path.strip('/') or 'home'}.png"))
        driver.get(base + "/")
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "Our principles" in body and "Weekly call" in body and "17:00 UTC" in body
        yours = driver.find_element(By.CSS_SELECTOR, ".meeting .yours")
        assert yours.is_displayed() and "your time" in yours.text  # localtime.js ran
        driver.get(base + "/members")
        driver.find_element(By.ID, "q").send_keys("Kenya")
        _follow(driver, driver.find_element(By.CSS_SELECTOR, "form button"))
        assert "Tech Commons Kenya" in driver.find_element(By.CLASS_NAME, "orgs").text
        driver.save_screenshot(str(shots / "members-search.png"))
        _follow(driver, driver.find_element(By.LINK_TEXT, "Español"))
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
        assert "Tech Commons Kenya" in driver.find_element(By.CLASS_NAME, "orgs").text
        driver.save_screenshot(str(shots / "members-es.png"))
        requested += _requested(driver)
        # The guard itself: a page elsewhere does not load.
        with pytest.raises(WebDriverException, match="net::ERR_"):
            driver.get("http://example.org/")
    finally:
        driver.quit()
    return requested


@pytest.mark.skipif(
    not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)),
    reason="Debian's chromium and chromium-driver are not installed (apt-get install -y "
    "chromium chromium-driver)",
)
async def test_the_page_in_a_real_browser(tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    async with served(tmp_path / "bot") as site:
        requested = await asyncio.to_thread(_browse, site.url, shots)
    hosts = {urlsplit(url).hostname for url in requested if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}, requested
    assert any(url.endswith("/static/localtime.js") for url in requested)
    assert any(url.endswith("/static/style.css") for url in requested)
    for name in ("home", "readings", "groups", "members", "meetings", "decisions"):
        assert (shots / f"{name}.png").stat().st_size > 1000
