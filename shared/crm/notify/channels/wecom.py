"""WeCom (企业微信) group robot messages: POST <webhook>?key=... with

- {"msgtype": "markdown", "markdown": {"content": ...}} when nobody can be @mentioned (markdown has no mobile
  mentions), or
- {"msgtype": "text", "text": {"content": ..., "mentioned_mobile_list": [...]}} to @mention people by mobile.
"""

from typing import Any

from crm.notify.channels import Mention
from crm.notify.model import Message

TEXT_BYTES = 2048  # WeCom's limits on content, in UTF-8 bytes
MARKDOWN_BYTES = 4096


def payload(message: Message, mentions: list[Mention]) -> dict[str, Any]:
    mobiles = list(dict.fromkeys(m.mobile for m in mentions if m.mobile))
    names = "、".join(m.name for m in mentions)
    if mobiles:
        content = f"{message.title}\n{message.body}" + (f"\n提醒：{names}" if names else "")
        return {"msgtype": "text", "text": {"content": clip(content, TEXT_BYTES), "mentioned_mobile_list": mobiles}}
    content = f"**{message.title}**\n{message.body}" + (f"\n> 提醒：{names}" if names else "")
    return {"msgtype": "markdown", "markdown": {"content": clip(content, MARKDOWN_BYTES)}}


def clip(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, cut at a character boundary, an ellipsis showing the cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"
