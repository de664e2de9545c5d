"""DingTalk (钉钉) custom robot messages: POST <webhook>?access_token=... with
{"msgtype": "markdown", "markdown": {"title", "text"}, "at": {"atMobiles": [...], "isAtAll": false}}; a mention
shows only when the text also holds "@<mobile>". A robot with 加签 gets &timestamp=<ms>&sign=<sign> on its URL:
sign = urlencode(base64(HmacSHA256(key=secret, "<timestamp>\n<secret>"))), the timestamp within an hour of now.
"""

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import quote_plus, urlsplit

from crm.notify.channels import Mention
from crm.notify.channels.wecom import clip
from crm.notify.model import Message

TEXT_BYTES = 5000


def payload(message: Message, mentions: list[Mention]) -> dict[str, Any]:
    mobiles = list(dict.fromkeys(m.mobile for m in mentions if m.mobile))
    named = [f"@{m.mobile}" if m.mobile else m.name for m in mentions]
    text = f"#### {message.title}\n\n{message.body}" + (f"\n\n提醒：{' '.join(named)}" if named else "")
    return {
        "msgtype": "markdown",
        "markdown": {"title": message.title, "text": clip(text, TEXT_BYTES)},
        "at": {"atMobiles": mobiles, "isAtAll": False},
    }


def sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    separator = "&" if urlsplit(url).query else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={sign(secret, timestamp_ms)}"
