"""The reps' phone app (/console/m/) as a phone meets it: installable, accessible, and what it ships.

Starts the local runtime with the demo data, signs rep.zhang in on a phone-sized chromium (Playwright), then prints:
- installability as Chrome judges it (the DevTools protocol's Page.getInstallabilityErrors: none = installable;
  Lighthouse 12 dropped its PWA category, this is the check it ran), and whether a service worker controls the page;
- JavaScript shipped, gzipped, on the first load, against the office console's first load in the same run;
- Lighthouse 12's accessibility score (mobile, its default form factor) and performance score. Goal: >= 90.
"""

from __future__ import annotations

import tempfile

from localcloud import LocalCloud, demo
from localcloud.tokens import REPO_ROOT
from playwright.sync_api import sync_playwright

from bench.console import ARGS, CHROMIUM, LIGHTHOUSE, _cold, _free_port, _lighthouse_scores, _scripts_gz


def run() -> None:
    print("Reps' phone app (/console/m/, served locally; mobile)")
    if not (REPO_ROOT / "web" / "dist" / "m" / "index.html").exists() or not LIGHTHOUSE.exists():
        print("  skipped: run make setup first (the app's build and node tools)")
        return
    # A stack of its own: moto keeps the console bench's in this process.
    local = LocalCloud(REPO_ROOT / "template.yaml", api_port=0, stack_name="crm-bench-app", schedules=False)
    with local.start(seed=demo.seed) as cloud:
        _measure(cloud.api_url)


def _measure(api: str) -> None:
    port = _free_port()
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=[*ARGS, f"--remote-debugging-port={port}"],
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN",
        )  # fmt: skip
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{api}/console/m/")
        page.locator('button[value="rep.zhang"]').click()
        page.wait_for_url("**/console/m/")
        page.get_by_role("heading").first.wait_for()

        _cold(page)
        app_count, app_gz = _scripts_gz(page, lambda: page.goto(f"{api}/console/m/"), "h4")
        _cold(page)
        _, console_gz = _scripts_gz(page, lambda: page.goto(f"{api}/console/customers"), "h3")
        print(f"  JS shipped, first load: {app_gz / 1024:6.1f} KB gz in {app_count} files "
              f"= {app_gz / console_gz:.2f}x the console's customer list ({console_gz / 1024:.1f} KB)")  # fmt: skip

        page.goto(f"{api}/console/m/")
        page.get_by_role("heading").first.wait_for()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors").get("installabilityErrors", [])
        manifest = cdp.send("Page.getAppManifest")
        cdp.detach()
        verdict = "installable" if not errors else "NOT installable: " + "; ".join(e["errorId"] for e in errors)
        print(
            f"  Installability (Chrome): {verdict}; manifest {manifest.get('url', '?')}; a service worker controls it"
        )

        scores = _lighthouse_scores(f"{api}/console/m/", port, preset=None)
        verdict = "ok" if scores["accessibility"] >= 90 else "below the goal of 90"
        print(f"  Lighthouse (mobile): accessibility {scores['accessibility']:3} ({verdict}), "
              f"performance {scores['performance']:3}, its simulated FCP {scores['fcp_ms']:.0f} ms")  # fmt: skip
        context.close()


if __name__ == "__main__":
    run()
