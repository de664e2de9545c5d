"""The web console served locally, as a browser meets it: the customer list and the customer page.

Starts the local runtime with the demo data, signs in as the HQ admin in Debian's chromium (Playwright), then:
- JavaScript shipped, gzipped (level 9, as CloudFront's compression roughly gives): the first load of the
  customer list (every script the page fetched), and what the customer page adds when opened from it (its
  route's own chunks);
- first contentful paint of each, cold (browser cache cleared), median of 5, against the same for the local
  sign-in page (server HTML, no script) served by the same server: the ratio is the console's own cost;
- Lighthouse 12 (npm, `lighthouse`, desktop preset: the console is an office tool on laptops) in the same
  signed-in chromium: performance and accessibility scores. Goal: >= 90 each.
"""

from __future__ import annotations

import gzip
import json
import socket
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from localcloud import LocalCloud, demo
from localcloud.tokens import REPO_ROOT
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]  # fmt: skip
LIGHTHOUSE = REPO_ROOT / "node_modules" / ".bin" / "lighthouse"
RUNS = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cold(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.clearBrowserCache")
    cdp.detach()


def _scripts_gz(page: Page, action: Any, shown: str) -> tuple[int, int]:
    """Runs action() until the selector `shown` is on screen; the scripts fetched meanwhile: (count, gzipped bytes)."""
    bodies: list[bytes] = []

    def on_response(response: Any) -> None:
        if response.request.resource_type == "script" and response.ok:
            bodies.append(response.body())

    page.on("response", on_response)
    action()
    page.locator(shown).first.wait_for()
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", on_response)
    return len(bodies), sum(len(gzip.compress(body, 9)) for body in bodies)


def _fcp_ms(page: Page, url: str) -> float:
    _cold(page)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    value = page.evaluate(
        "() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null"
    )  # fmt: skip
    return float(value) if value is not None else float("nan")


def _lighthouse_scores(url: str, port: int, preset: str | None = "desktop") -> dict[str, float]:
    """Lighthouse's performance and accessibility scores (0-100) and its simulated FCP, in the running chromium."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run(
            [str(LIGHTHOUSE), url, f"--port={port}", *([f"--preset={preset}"] if preset else []),
             "--disable-storage-reset", "--only-categories=performance,accessibility", "--output=json",
             f"--output-path={report}", "--quiet"],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        data = json.loads(report.read_text())
    scores = {name: round(cat["score"] * 100) for name, cat in data["categories"].items()}
    scores["fcp_ms"] = data["audits"]["first-contentful-paint"]["numericValue"]
    return scores


def run() -> None:
    print("Web console (customer list and customer page, served locally; desktop)")
    if not (REPO_ROOT / "web" / "dist" / "index.html").exists() or not LIGHTHOUSE.exists():
        print("  skipped: run make setup first (the console build and node tools)")
        return
    with LocalCloud(REPO_ROOT / "template.yaml", api_port=0, schedules=False).start(seed=demo.seed) as cloud:
        _measure(cloud.api_url)


def _measure(api: str) -> None:
    port = _free_port()
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=[*ARGS, f"--remote-debugging-port={port}"],
            viewport={"width": 1366, "height": 850}, locale="zh-CN",
        )  # fmt: skip
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{api}/console/")
        page.locator('button[value="admin"]').click()
        page.wait_for_url("**/console/")
        page.get_by_role("navigation").wait_for()

        _cold(page)
        list_count, list_gz = _scripts_gz(page, lambda: page.goto(f"{api}/console/customers"), "tbody tr a")
        first = page.locator("a[href^='/console/customers/']").first
        customer_url = api + (first.get_attribute("href") or "")
        route_count, route_gz = _scripts_gz(page, lambda: first.click(), "[role=tab]")
        print(f"  JS shipped, first load of the customer list: {list_gz / 1024:7.1f} KB gz in {list_count} files")
        print(f"  JS the customer page adds (its route)      : {route_gz / 1024:7.1f} KB gz in {route_count} files")

        baseline = statistics.median(_fcp_ms(page, _signin_url(api)) for _ in range(RUNS))
        rows = [("customer list", f"{api}/console/customers"), ("customer page", customer_url)]
        for label, url in rows:
            fcp = statistics.median(_fcp_ms(page, url) for _ in range(RUNS))
            print(
                f"  FCP {label:13}: {fcp:6.0f} ms cold = {fcp / baseline:4.1f}x the sign-in page's ({baseline:.0f} ms)"
            )
        for label, url in rows:
            scores = _lighthouse_scores(url, port)
            verdict = "ok" if min(scores["performance"], scores["accessibility"]) >= 90 else "below the goal of 90"
            print(f"  Lighthouse {label:13}: performance {scores['performance']:3}, accessibility "
                  f"{scores['accessibility']:3} ({verdict}; its simulated FCP {scores['fcp_ms']:.0f} ms)")  # fmt: skip
        context.close()


def _signin_url(api: str) -> str:
    return (
        f"{api}/_local/oauth2/authorize?response_type=code&client_id=localcloud-client"
        f"&redirect_uri={api}/console/callback&code_challenge=x&code_challenge_method=S256"
    )


if __name__ == "__main__":
    run()
