"""The local IAM evaluator follows AWS's documented rules, including the ones that surprise people."""

import pytest
from localcloud.iam import Request, allowed


def allow(**statement):
    return {"Effect": "Allow", **statement}


def test_an_explicit_deny_wins_over_any_allow():
    statements = [allow(Action="s3:*", Resource="*"), {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]
    assert allowed(statements, Request("s3:GetObject", "arn:aws:s3:::b/k"))
    assert not allowed(statements, Request("s3:DeleteObject", "arn:aws:s3:::b/k"))


def test_nothing_is_allowed_without_a_matching_allow():
    assert not allowed([], Request("s3:GetObject", "arn:aws:s3:::b/k"))
    assert not allowed(
        [allow(Action="s3:GetObject", Resource="arn:aws:s3:::b/a/*")], Request("s3:GetObject", "arn:aws:s3:::b/k")
    )


def test_actions_match_case_insensitively_and_resources_case_sensitively():
    statement = [allow(Action="S3:getobject", Resource="arn:aws:s3:::b/Reports/*")]
    assert allowed(statement, Request("s3:GetObject", "arn:aws:s3:::b/Reports/x"))
    assert not allowed(statement, Request("s3:GetObject", "arn:aws:s3:::b/reports/x"))


def test_not_action_and_not_resource():
    assert allowed([allow(NotAction="s3:Delete*", Resource="*")], Request("s3:GetObject", "x"))
    assert not allowed([allow(NotAction="s3:Delete*", Resource="*")], Request("s3:DeleteObject", "x"))
    assert not allowed(
        [allow(Action="*", NotResource="arn:aws:s3:::secret/*")], Request("s3:GetObject", "arn:aws:s3:::secret/k")
    )


def test_policy_variables_fill_resources_and_a_missing_one_matches_nothing():
    statement = [allow(Action="s3:GetObject", Resource="arn:aws:s3:::b/${aws:PrincipalTag/tenant}/*")]
    tagged = {"aws:PrincipalTag/tenant": "acme"}
    assert allowed(statement, Request("s3:GetObject", "arn:aws:s3:::b/acme/k", tagged))
    assert not allowed(statement, Request("s3:GetObject", "arn:aws:s3:::b/rival/k", tagged))
    assert not allowed(statement, Request("s3:GetObject", "arn:aws:s3:::b//k"))


def test_for_all_values_holds_for_a_request_without_the_key_unless_null_is_checked():
    keys = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["T#acme#*"]}}
    loose = [allow(Action="dynamodb:*", Resource="*", Condition=keys)]
    strict = [allow(Action="dynamodb:*", Resource="*", Condition={**keys, "Null": {"dynamodb:LeadingKeys": "false"}})]
    assert allowed(loose, Request("dynamodb:Scan", "t"))  # AWS's documented pitfall
    assert not allowed(strict, Request("dynamodb:Scan", "t"))
    assert allowed(strict, Request("dynamodb:Query", "t", {"dynamodb:LeadingKeys": ["T#acme#X"]}))
    assert not allowed(strict, Request("dynamodb:Query", "t", {"dynamodb:LeadingKeys": ["T#acme#X", "T#b#Y"]}))


def test_for_any_value_needs_one_match_and_if_exists_tolerates_absence():
    any_value = [allow(Action="*", Resource="*", Condition={"ForAnyValue:StringEquals": {"k": ["a"]}})]
    assert allowed(any_value, Request("x:Y", "r", {"k": ["b", "a"]}))
    assert not allowed(any_value, Request("x:Y", "r"))
    if_exists = [allow(Action="*", Resource="*", Condition={"StringEqualsIfExists": {"k": "a"}})]
    assert allowed(if_exists, Request("x:Y", "r"))
    assert not allowed(if_exists, Request("x:Y", "r", {"k": "b"}))


def test_negated_operators_and_bool():
    not_equals = [allow(Action="*", Resource="*", Condition={"StringNotEquals": {"k": "a"}})]
    assert allowed(not_equals, Request("x:Y", "r", {"k": "b"}))
    assert not allowed(not_equals, Request("x:Y", "r", {"k": "a"}))
    tls = [allow(Action="*", Resource="*", Condition={"Bool": {"aws:SecureTransport": True}})]
    assert allowed(tls, Request("x:Y", "r", {"aws:SecureTransport": "true"}))
    assert not allowed(tls, Request("x:Y", "r", {"aws:SecureTransport": "false"}))


def test_an_operator_it_does_not_know_fails_closed():
    statement = [allow(Action="*", Resource="*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}})]
    with pytest.raises(ValueError):
        allowed(statement, Request("x:Y", "r", {"aws:CurrentTime": "2026-01-01"}))
