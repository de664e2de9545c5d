"""The mail SES would have sent: what moto's SES backend recorded, as plain dicts for tests and people.

SES v1 and SESv2 both record into the v1 backend (`ses_backends[account][region].sent_messages`), a
module global that the in-process moto server shares with us. Raw messages are parsed back into
their parts; a simple one has the text and HTML bodies that moto_patches keeps.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from moto.ses.models import RawMessage, TemplateMessage, ses_backends

from .template import ACCOUNT_ID, REGION


def sent_emails() -> list[dict[str, Any]]:
    """Every message sent so far, oldest first: id, source, to, cc, bcc, subject, text, html (and
    template, template_data for a templated one; its subject and bodies are None, as moto renders none)."""
    return [_as_dict(message) for message in ses_backends[ACCOUNT_ID][REGION].sent_messages]


def _as_dict(message: Any) -> dict[str, Any]:
    if isinstance(message, RawMessage):
        return _raw(message)
    destinations = message.destinations if isinstance(message.destinations, dict) else {}
    mail = {
        "id": message.id,
        "source": message.source,
        "to": destinations.get("ToAddresses", []),
        "cc": destinations.get("CcAddresses", []),
        "bcc": destinations.get("BccAddresses", []),
        "subject": getattr(message, "subject", None),
        "text": getattr(message, "text", None),
        "html": getattr(message, "html", None),
    }
    if isinstance(message, TemplateMessage):
        mail |= {"template": message.template, "template_data": message.template_data}
    elif mail["text"] is None and mail["html"] is None:  # sent before moto_patches was installed
        mail["text"] = message.body
    return mail


def _raw(message: RawMessage) -> dict[str, Any]:
    # moto decoded the bytes as UTF-8; parsed from that str, an 8bit part would come back as \u escapes
    parsed = message_from_bytes(message.raw_data.encode("utf-8"), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    bodies = {"plain": None, "html": None}
    for subtype in bodies:
        if part := parsed.get_body(preferencelist=(subtype,)):
            bodies[subtype] = part.get_content()  # type: ignore[attr-defined]
    to = [address for _, address in getaddresses(parsed.get_all("To", []))]
    return {
        "id": message.id,
        "source": message.source,
        "to": to or [address for _, address in getaddresses(message.destinations)],
        "cc": [address for _, address in getaddresses(parsed.get_all("Cc", []))],
        "bcc": [address for _, address in getaddresses(parsed.get_all("Bcc", []))],
        "subject": str(parsed["Subject"]) if parsed["Subject"] is not None else None,
        "text": bodies["plain"],
        "html": bodies["html"],
    }
