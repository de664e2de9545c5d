"""WeCom and DingTalk group-robot messages in the robots' own JSON formats, and DingTalk's 加签 signature."""

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, unquote_plus, urlsplit

from crm.notify.channels import Mention, dingtalk, wecom
from crm.notify.model import Message

MESSAGE = Message(
    title="待审批：订货单「康宁大药房 #1024」",
    body="张伟提交的订货单「康宁大药房 #1024」（金额 ¥12,800.00）等待您审批。",
)
LI = Mention("李主管", "13800000003")
WANG = Mention("王经理", None)


def test_wecom_mentions_people_by_mobile_in_a_text_message() -> None:
    payload = wecom.payload(MESSAGE, [LI, WANG])
    assert payload["msgtype"] == "text"
    assert payload["text"]["mentioned_mobile_list"] == ["13800000003"]
    assert payload["text"]["content"].startswith(MESSAGE.title + "\n" + MESSAGE.body)
    assert "李主管、王经理" in payload["text"]["content"]  # the one without a mobile is at least named


def test_wecom_without_anyone_to_mention_sends_markdown() -> None:
    payload = wecom.payload(MESSAGE, [WANG])
    assert payload == {
        "msgtype": "markdown",
        "markdown": {"content": f"**{MESSAGE.title}**\n{MESSAGE.body}\n> 提醒：王经理"},
    }


def test_wecom_text_is_clipped_to_its_byte_limit_at_a_character_boundary() -> None:
    long = Message(title="标题", body="长" * 2000)
    content = wecom.payload(long, [LI])["text"]["content"]
    assert len(content.encode()) <= wecom.TEXT_BYTES and content.endswith("…")


def test_dingtalk_markdown_names_mobiles_in_the_text_and_in_at() -> None:
    payload = dingtalk.payload(MESSAGE, [LI, WANG])
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == MESSAGE.title
    assert payload["markdown"]["text"].startswith(f"#### {MESSAGE.title}\n\n{MESSAGE.body}")
    assert "@13800000003" in payload["markdown"]["text"] and "王经理" in payload["markdown"]["text"]
    assert payload["at"] == {"atMobiles": ["13800000003"], "isAtAll": False}


def test_dingtalk_sign_is_hmac_sha256_of_timestamp_newline_secret_base64_then_url_encoded() -> None:
    secret, timestamp = "SEC000example", 1_764_000_000_000
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest())
    signed = dingtalk.signed_url("https://oapi.dingtalk.com/robot/send?access_token=abc", secret, timestamp)
    parts = urlsplit(signed)
    assert parts.path == "/robot/send"
    query = parse_qs(parts.query)  # decodes once: what DingTalk reads
    assert query == {"access_token": ["abc"], "timestamp": [str(timestamp)], "sign": [expected.decode()]}
    assert "+" not in parts.query.split("sign=")[1] and unquote_plus(parts.query.split("sign=")[1]) == expected.decode()


def test_dingtalk_sign_on_a_url_without_a_query() -> None:
    assert dingtalk.signed_url("http://127.0.0.1:9/robot/send", "s", 1).startswith(
        "http://127.0.0.1:9/robot/send?timestamp=1&sign="
    )
