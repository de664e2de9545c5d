"""SnapStart's hooks: registered where the runtime offers them, and a restored copy keeps nothing of its own from
the snapshot that must be unique (random state) or fresh (SDK clients, their connections, tenant credentials)."""

import random
import sys

import pytest
from crm import aws, snapstart, tenancy


@pytest.fixture
def hooks(monkeypatch):
    registered = {}
    monkeypatch.setattr(snapstart, "_installed", False)
    assert snapstart.install(lambda f: registered.setdefault("before", f), lambda f: registered.setdefault("after", f))
    return registered


def test_the_hooks_are_registered_once_and_not_without_the_runtime(hooks, monkeypatch):
    assert hooks == {"before": snapstart.before_snapshot, "after": snapstart.after_restore}
    assert not snapstart.install(lambda f: None, lambda f: None)  # once per process
    monkeypatch.setattr(snapstart, "_installed", False)
    assert not snapstart.install(None, None)  # outside Lambda's runtime there is nothing to register with


def test_before_the_snapshot_what_the_first_request_would_import_is_loaded(hooks, monkeypatch):
    monkeypatch.delitem(sys.modules, "aws_lambda_powertools.utilities.idempotency", raising=False)
    hooks["before"]()
    assert {"boto3", "aws_lambda_powertools.utilities.idempotency"} <= set(sys.modules)


def test_after_a_restore_random_clients_and_tenant_credentials_are_the_copys_own(hooks, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    random.seed(7)
    snapshot_draw = random.Random(7).random()
    aws.client.cache_clear()
    aws.client("sqs")  # as if made before the snapshot
    assert aws.client.cache_info().currsize == 1
    forgotten = []
    monkeypatch.setattr(tenancy, "forget_sessions", lambda: forgotten.append(True))

    hooks["after"]()

    assert random.random() != snapshot_draw  # two restored copies do not draw the same jitter
    assert aws.client.cache_info().currsize == 0
    assert forgotten == [True]
