"""A stand-in for WeCom (企业微信) and DingTalk (钉钉) group-robot webhooks, on 127.0.0.1.

Point a tenant's robot URL at `<sink url>/<anything>?key=...` (WeCom's shape is
/cgi-bin/webhook/send?key=..., DingTalk's /robot/send?access_token=...&timestamp=...&sign=...): every
POST of JSON is recorded and answered as both robots answer a good message, 200 and
{"errcode":0,"errmsg":"ok"}. Tests read the posts back with received(); `make dev` logs each one.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from .serving import BackgroundServer

log = logging.getLogger("localcloud.webhooks")

_OK = {"errcode": 0, "errmsg": "ok"}


@dataclass(frozen=True)
class WebhookPost:
    path: str
    query: dict[str, str]  # the first value of each parameter
    headers: dict[str, str]
    json: Any


class WebhookSink:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._posts: list[WebhookPost] = []
        self._lock = threading.Lock()
        self._server = BackgroundServer(self, host, port, "localcloud-webhooks")

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        return self._server.url

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def received(self, path_prefix: str | None = None) -> list[WebhookPost]:
        """The posts so far, oldest first; only those whose path starts with path_prefix if given."""
        with self._lock:
            return [post for post in self._posts if path_prefix is None or post.path.startswith(path_prefix)]

    def clear(self) -> None:
        with self._lock:
            self._posts.clear()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._answer(request)(environ, start_response)

    def _answer(self, request: Request) -> Response:
        if request.method != "POST":
            return _reply({"errcode": 405, "errmsg": "robots accept POST only (local sink)"}, 405)
        try:
            body = json.loads(request.get_data())
        except ValueError:
            return _reply({"errcode": 400, "errmsg": "the body is not JSON (local sink)"}, 400)
        post = WebhookPost(request.path, dict(request.args.items()), dict(request.headers.items()), body)
        with self._lock:
            self._posts.append(post)
        log.info("webhook %s: %s", request.path, json.dumps(body, ensure_ascii=False)[:500])
        return _reply(_OK)


def _reply(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
