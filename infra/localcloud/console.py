"""The web console as CloudFront serves it in AWS: web/dist under /console/, SPA fallback, security headers.

`/` redirects to the console; `/console/config.json` is written here as the deploy writes it to the
bucket (same keys), pointing the console at this server for the API and at the local sign-in
(oauth.py) in place of Cognito's hosted UI. Hashed assets are cached for a year, everything else
revalidated, as the template's cache policies say.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from werkzeug.security import safe_join
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from . import tokens

PREFIX = "/console/"
# The same headers as the template's ConsoleSecurityHeaders policy; connect-src adds this server's moto
# (presigned downloads) the way the deployed policy allows the region's S3.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: http:; "
        "connect-src 'self' http://127.0.0.1:*; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class Console:
    def __init__(self, dist: Path) -> None:
        self.dist = dist

    def handle(self, request: Request) -> Response | None:
        if request.path == "/" and request.method in ("GET", "HEAD"):
            return Response(status=302, headers={"Location": PREFIX})
        if request.path == PREFIX.rstrip("/"):
            return Response(status=302, headers={"Location": PREFIX})
        if not request.path.startswith(PREFIX):
            return None
        response = self._serve(request, request.path.removeprefix(PREFIX))
        response.headers.update(SECURITY_HEADERS)
        return response

    def _serve(self, request: Request, name: str) -> Response:
        if name == "config.json":
            return self._config(request)
        index = self.dist / "index.html"
        if not index.is_file():
            html = (
                "<!doctype html><meta charset='utf-8'><title>Console not built</title>"
                "<p>The console is not built yet: run <code>make setup</code> (npm ci and the Vite build in web/).</p>"
            )
            return Response(html, status=503, content_type="text/html; charset=utf-8")
        file = safe_join(str(self.dist), name) if name else None
        if file and os.path.isfile(file):
            response = send_file(file, request.environ, max_age=0)
            # Hashed file names change with their content: cache them for good; revalidate the rest.
            immutable = name.startswith("assets/")
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if immutable else "no-cache"
            return response
        # SPA fallback: any other path under /console/ is a client-side route of its app: the reps' phone app
        # under m/, else the console.
        app_index = self.dist / "m" / "index.html" if name.startswith("m/") else index
        response = send_file(str(app_index if app_index.is_file() else index), request.environ, max_age=0)
        response.headers["Cache-Control"] = "no-cache"
        return response

    def _config(self, request: Request) -> Response:
        origin = request.host_url.rstrip("/")
        config = {
            "apiUrl": origin,
            "authDomain": f"{origin}/_local",
            "clientId": tokens.CLIENT_ID,
            "redirectUri": f"{origin}{PREFIX}callback",
            "region": "local",
        }
        return Response(json.dumps(config), content_type="application/json", headers={"Cache-Control": "no-store"})


def dist_dir(repo_root: Path) -> Path:
    """web/dist (built by make setup); CONSOLE_DIST points elsewhere, e.g. a build of a branch being tried."""
    return Path(os.environ.get("CONSOLE_DIST") or repo_root / "web" / "dist")
