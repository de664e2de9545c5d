"""Adds one to n; raises ValueError when n reaches fail_at."""


def handler(event, context):
    if event.get("fail_at") == event["n"]:
        raise ValueError(f"n reached {event['n']}")
    return {**event, "n": event["n"] + 1}
