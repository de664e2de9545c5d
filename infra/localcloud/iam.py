"""IAM policy evaluation as AWS documents it, for the statements this project writes.

Used by the local runtime's guard (guard.py) on every DynamoDB and S3 call signed by a function or a tenant
session, and by the tests that read the template's policies. Within one principal's identity policies: an explicit
Deny wins, else any Allow, else the implicit deny. Supported: Action/NotAction and Resource/NotResource with * and ?
wildcards (actions case-insensitive, resources case-sensitive), policy variables such as ${aws:PrincipalTag/tenant}
in resources and condition values, and the condition operators StringEquals, StringNotEquals, StringLike,
StringNotLike, ArnEquals, ArnLike, Bool and Null, with the ForAllValues:/ForAnyValue: set prefixes and the IfExists
suffix. An operator outside that list fails closed (ValueError), never open.

(The PyPI simulators that evaluate conditions locally, principalmapper and its fork, fail to import on Python 3.10+.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

Context = Mapping[str, str | Sequence[str]]  # condition keys of the request: dynamodb:LeadingKeys, s3:prefix, ...
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class Request:
    action: str  # dynamodb:GetItem
    resource: str  # arn:aws:dynamodb:us-east-1:123456789012:table/crm-local-Table
    context: Context = field(default_factory=dict)


def allowed(statements: Iterable[Mapping[str, Any]], request: Request) -> bool:
    """Whether identity policies made of `statements` allow the request."""
    matching = [s for s in statements if _applies(s, request)]
    if any(s["Effect"] == "Deny" for s in matching):
        return False
    return any(s["Effect"] == "Allow" for s in matching)


def statements_of(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = document.get("Statement", [])
    return [found] if isinstance(found, Mapping) else list(found)


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        if not any(_like(p.lower(), request.action.lower()) for p in _listed(statement["Action"])):
            return False
    elif any(_like(p.lower(), request.action.lower()) for p in _listed(statement.get("NotAction", []))):
        return False
    patterns = [
        _expand(p, request.context) for p in _listed(statement.get("Resource", statement.get("NotResource", [])))
    ]
    hit = any(p is not None and _like(p, request.resource) for p in patterns)
    if hit != ("Resource" in statement):
        return False
    return all(_condition(op, keys, request.context) for op, keys in statement.get("Condition", {}).items())


def _expand(pattern: str, context: Context) -> str | None:
    """The pattern with its policy variables filled in; None when a variable has no single value (matches nothing)."""
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        found = context.get(match.group(1))
        if not isinstance(found, str):
            missing = True
            return ""
        return found

    expanded = _VARIABLE.sub(value, pattern)
    return None if missing else expanded


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def _like(pattern: str, value: str) -> bool:
    return _compiled(pattern).fullmatch(value) is not None


_MATCHERS = {
    "StringEquals": lambda policy, value: policy == value,
    "StringLike": _like,
    "ArnEquals": lambda policy, value: policy == value,
    "ArnLike": _like,
    "Bool": lambda policy, value: policy.lower() == value.lower(),
}
_NEGATED = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike"}


def _condition(operator: str, keys: Mapping[str, Any], context: Context) -> bool:
    """Every key of one operator block must hold (AND); within a key, any of the policy's values (OR)."""
    for key, policy_values in keys.items():
        values = [_expand(v, context) if isinstance(v, str) else str(v).lower() for v in _listed(policy_values)]
        if not _key_holds(operator, [v for v in values if v is not None], context.get(key)):
            return False
    return True


def _key_holds(operator: str, policy: list[str], present: str | Sequence[str] | None) -> bool:
    set_op, _, rest = operator.rpartition(":")
    if rest == "Null":  # "true": the key is absent; "false": it is present
        return (present is None) == (policy[0].lower() == "true")
    if_exists = rest.endswith("IfExists")
    base = rest.removesuffix("IfExists")
    negated = base in _NEGATED
    matcher = _MATCHERS.get(_NEGATED.get(base, base))
    if matcher is None or set_op not in ("", "ForAllValues", "ForAnyValue"):
        raise ValueError(f"condition operator {operator!r} is not evaluated here")
    values = [] if present is None else [present] if isinstance(present, str) else list(present)

    def matches(value: str) -> bool:
        hit = any(matcher(p, value) for p in policy)
        return not hit if negated else hit

    if set_op == "ForAllValues":  # vacuously true for a request without the key: the reason for Null checks
        return all(matches(v) for v in values)
    if set_op == "ForAnyValue":
        return any(matches(v) for v in values)
    if not values:
        return if_exists or negated
    return matches(values[0])
