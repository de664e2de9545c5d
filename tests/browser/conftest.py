"""The console in a real browser: Debian's chromium driven by Playwright, against the same local runtime as e2e.

Each test gets a fresh tenant with the demo org tree, whose users are in the local user pool as
`<username>@<tenant>`: the browser signs in through the sign-in page the runtime offers in place of
Cognito's hosted UI, as a user would. Every page a test visits is saved as a screenshot under
.local/screenshots/<test>/ to be looked at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localcloud.tokens import seed_pool_user
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conftest import ORG, World, new_tenant

# What a user waits for (a page's state after a click) takes longer when two test workers share the two cores with
# the local system; the same patience as page.set_default_timeout below, not Playwright's 5 s.
expect.set_options(timeout=20_000)

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / ".local" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# Tools that download a browser of their own fail here: Debian's chromium, started as the platform asks.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run",
]  # fmt: skip
LAPTOP = {"width": 1366, "height": 850}
TIMEZONE = "Asia/Shanghai"  # where the users are, and the API's business day (crm.clock.BUSINESS_TZ)


def _ensure_chromium() -> str:
    """Debian's chromium (and CJK fonts, so screenshots show the Chinese UI), installed with apt-get if missing."""
    fonts = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    if not (Path(CHROMIUM).exists() and fonts.exists()):
        if shutil.which("apt-get") is None:
            pytest.fail("chromium is missing and apt-get is not here to install it")
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk"],
            check=True, capture_output=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )  # fmt: skip
    return CHROMIUM


def _console_dist() -> Path:
    dist = Path(os.environ.get("CONSOLE_DIST") or REPO / "web" / "dist")
    if not (dist / "index.html").exists():
        pytest.fail(f"the console is not built ({dist}): run make setup (npm ci and the build in web/)")
    return dist


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = _ensure_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Console:
    """A fresh tenant's console: sign in as its users, open pages, save screenshots."""

    def __init__(self, world: World, browser: Browser, shots: Path) -> None:
        self.world, self.browser, self.shots = world, browser, shots
        self.base_url = world.base_url
        self._count = 0

    def username(self, demo_username: str) -> str:
        return f"{demo_username}@{self.world.tenant_id}"

    def page_as(self, demo_username: str, viewport: dict[str, int] | None = None) -> Page:
        """A new browser (its own session storage) signed in as the tenant's demo user, at the console's home."""
        context = self.browser.new_context(
            viewport=viewport or LAPTOP, locale="zh-CN", timezone_id=TIMEZONE, accept_downloads=True
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{self.base_url}/console/")
        page.locator(f'button[value="{self.username(demo_username)}"]').click()
        page.wait_for_url(re.compile(r"/console/$"))
        page.get_by_role("main").wait_for()
        return page

    def add_distributor_user(self, demo_username: str, distributor_id: str, name: str = "经销商上传员") -> None:
        """A user of the distributor (customer) distributor_id, in the local pool and the tenant's directory (as
        POST /users makes one): `page_as(demo_username)` signs in."""
        user_id = f"u-{demo_username}-{distributor_id[-6:]}"
        self.world.add_user(user_id, "EAST", ["distributor"], distributor_id, username=self.username(demo_username))
        attributes = {
            "name": name,
            "email": f"{demo_username}@{self.world.tenant_id}.example.com",
            "custom:tenant_id": self.world.tenant_id,
            "custom:org_unit_id": "EAST",
            "custom:roles": "distributor",
            "custom:distributor_id": distributor_id,
        }
        seed_pool_user(user_id, self.username(demo_username), attributes)

    def url(self, path: str) -> str:
        return f"{self.base_url}/console{path}"

    def open(self, page: Page, path: str) -> Page:
        page.goto(self.url(path))
        page.wait_for_load_state("networkidle")
        return page

    def choose(self, page: Page, label: str, option: str | re.Pattern[str]) -> None:
        """Picks `option` in the antd Select labelled `label` (its list opens in a popup of its own)."""
        field = page.get_by_label(label, exact=True)
        field.click()
        popup = page.locator(f".ant-select-dropdown:has([id='{field.get_attribute('aria-controls')}'])")
        popup.get_by_title(option).first.click()

    def shot(self, page: Page, name: str) -> Path:
        """Saves what the page shows once it has loaded (the whole page) as <n>-<name>.png for this test."""
        page.wait_for_load_state("networkidle")
        expect(page.locator(".ant-spin-spinning")).to_have_count(0)  # no table or page still loading
        page.wait_for_timeout(300)  # tab ink bars and modals settle their animations
        self._count += 1
        path = self.shots / f"{self._count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def seed_tenant_users(tenant_id: str) -> None:
    """The demo org's people as users of the local pool for this tenant, as `make tenant` and POST /users make them."""
    for user in ORG["users"]:
        if "distributor_code" in user:
            continue
        attributes = {
            "name": user["name"],
            "email": f"{user['username']}@{tenant_id}.example.com",
            "custom:tenant_id": tenant_id,
            "custom:org_unit_id": user["org_unit_id"],
            "custom:roles": ",".join(user["roles"]),
        }
        seed_pool_user(user["id"], f"{user['username']}@{tenant_id}", attributes)


@pytest.fixture
def console(cloud: Any, mint_token: Any, browser: Browser, request: pytest.FixtureRequest) -> Iterator[Console]:
    _console_dist()
    tenant_id = new_tenant(cloud)
    seed_tenant_users(tenant_id)
    shots = SHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    console = Console(World(tenant_id, cloud.api_url, mint_token), browser, shots)
    yield console
    for context in browser.contexts:
        context.close()
