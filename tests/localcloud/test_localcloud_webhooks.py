"""The webhook sink that stands in for WeCom (企业微信) and DingTalk (钉钉) group robots."""

import requests
from localcloud import LocalCloud


def test_the_webhook_sink_answers_like_wecom_and_dingtalk_robots_and_records_each_post(
    small_cloud: LocalCloud,
) -> None:
    sink = small_cloud.webhook_sink
    sink.clear()
    wecom = {"msgtype": "markdown", "markdown": {"content": "**待审批** 1 条"}}
    dingtalk = {"msgtype": "text", "text": {"content": "库存差异"}, "at": {"isAtAll": False}}

    answer = requests.post(f"{sink.url}/cgi-bin/webhook/send?key=k-1", json=wecom, timeout=10)
    assert (answer.status_code, answer.json()) == (200, {"errcode": 0, "errmsg": "ok"})
    answer = requests.post(f"{sink.url}/robot/send?access_token=t&timestamp=1&sign=s", json=dingtalk, timeout=10)
    assert (answer.status_code, answer.json()) == (200, {"errcode": 0, "errmsg": "ok"})

    (post,) = sink.received("/cgi-bin/webhook")
    assert (post.path, post.query, post.json) == ("/cgi-bin/webhook/send", {"key": "k-1"}, wecom)
    assert post.headers["Content-Type"] == "application/json"
    assert [p.json for p in sink.received()] == [wecom, dingtalk]
    assert sink.received("/robot")[0].query == {"access_token": "t", "timestamp": "1", "sign": "s"}

    assert requests.post(f"{sink.url}/robot/send", data=b"not json", timeout=10).status_code == 400
    assert requests.get(f"{sink.url}/robot/send", timeout=10).status_code == 405
    assert len(sink.received()) == 2  # neither was recorded
    sink.clear()
    assert sink.received() == []
