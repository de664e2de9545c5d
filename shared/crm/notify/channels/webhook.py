"""One JSON POST to a group robot's webhook. Both robots answer 200 with {"errcode": 0, "errmsg": "ok"}; anything
else is an error, retried only when the robot says it is busy. The URL holds the robot's key: it is never logged,
and redirects are not followed (a webhook that redirects is not a robot)."""

import json
import urllib.error
import urllib.request
from typing import Any

from crm.notify.channels import DeliveryError

TIMEOUT_SECONDS = 5.0
# WeCom -1 系统繁忙, 45009 接口调用超过限制; DingTalk 130101 发送太快 (20 a minute per robot)
BUSY_CODES = frozenset({-1, 45009, 130101})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post_json(url: str, payload: dict[str, Any]) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            answer = response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        retry = exc.code >= 500 or exc.code == 429
        raise DeliveryError(f"the robot answered HTTP {exc.code}", permanent=not retry) from None
    except (urllib.error.URLError, OSError) as exc:  # refused, unreachable, timed out
        raise DeliveryError(f"the robot could not be reached ({type(exc).__name__})", permanent=False) from None
    _check(answer)


def _check(answer: bytes) -> None:
    try:
        body = json.loads(answer or b"{}")
    except ValueError:
        raise DeliveryError("the robot's answer is not JSON", permanent=True) from None
    code = body.get("errcode", 0) if isinstance(body, dict) else 0
    if code not in (0, None):
        message = str(body.get("errmsg", ""))[:200]
        raise DeliveryError(
            f"the robot refused the message: errcode {code} {message}", permanent=code not in BUSY_CODES
        )
