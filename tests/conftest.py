"""Shared fixtures: the local runtime built from template.yaml, and an ID-token minter."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Dummy credentials before anything imports boto3: no test can reach a real AWS account.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
)
os.environ.pop("AWS_PROFILE", None)

from localcloud import LocalCloud
from localcloud.tokens import mint_token as _mint_token

TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"


@pytest.fixture(scope="session")
def cloud() -> Iterator[LocalCloud]:
    """template.yaml running on free ports (moto, each function in processes of its own, API stand-in); no demo data."""
    with LocalCloud(TEMPLATE, api_port=0, schedules=False).start() as local:
        yield local


@pytest.fixture
def mint_token() -> Callable[[dict[str, Any]], str]:
    """mint_token(claims) -> a bearer token the local API accepts (see localcloud.tokens.mint_token)."""
    return _mint_token
