"""A threaded WSGI server on a background thread: how the gateway, the webhook sink and the DynamoDB Local
pass-through each listen on 127.0.0.1."""

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


class BackgroundServer:
    def __init__(self, app: Any, host: str, port: int, name: str) -> None:
        self._app, self._address, self._name = app, (host, port), name
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash (port 0 asks for a free port: this is the one it got)."""
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._server = make_server(*self._address, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server and self._thread:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None
