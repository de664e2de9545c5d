"""Tenant-scoped AWS credentials: tenant isolation held by IAM too, not by our code alone.

While a tenant is current (`enter(tenant)` in an API request, `acting_for(tenant)` in a worker), every DynamoDB and
S3 call this process makes is signed with credentials of TENANT_ROLE_ARN assumed with the session tag tenant=<id>.
That role (template.yaml, TenantDataRole) reaches only table items whose partition key starts with T#<id># and S3
objects under the tenant's own prefixes, and the functions' own roles reach no tenant data at all: a bug that names
another tenant's key is refused by AWS, not only by our checks (the AWS SaaS pattern of session tags and
dynamodb:LeadingKeys; docs/security.md).

How: the DynamoDB and S3 clients (crm.aws, pynamodb's connections, Powertools' idempotency store) come from
`data_session()`, whose credentials resolve, at each request they sign, to the current tenant's or else to the
function's own. Other services keep the function's own role. A tenant's credentials are assumed at its first call
in a container and kept until REFRESH_BEFORE_S before they expire, so an upload form or download link signed with
them (15 minutes) outlives no credential. Threads do not inherit the current tenant: code that starts one carries
the context over (crm.ingest.pipeline). Without TENANT_ROLE_ARN (code called directly by tests, scripts) calls keep
the process's own credentials.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import botocore.credentials
import botocore.session

ROLE_ENV = "TENANT_ROLE_ARN"
TAG = "tenant"  # the session tag the role's policy reads as ${aws:PrincipalTag/tenant}
SESSION_SECONDS = 3600
REFRESH_BEFORE_S = 20 * 60  # longer than any link we sign (upload_links.URL_SECONDS)

_current: ContextVar[str | None] = ContextVar("tenant", default=None)


def enter(tenant_id: str) -> None:
    """Makes `tenant_id` current for the rest of this request (the API's resolver ends it with the request)."""
    _current.set(tenant_id)


@contextmanager
def acting_for(tenant_id: str) -> Iterator[None]:
    """Runs the block under the tenant's credentials (a worker, an importer, one item of a sweep)."""
    token = _current.set(tenant_id)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def no_tenant() -> Iterator[None]:
    """Runs the block with the function's own credentials: a request starts here, and a sweep over tenants."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)


class _Sessions:
    """Each tenant's assumed-role credentials, kept per container until shortly before they expire."""

    def __init__(self, role_arn: str) -> None:
        self.role_arn = role_arn
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[botocore.credentials.ReadOnlyCredentials, float]] = {}

    def get(self, tenant_id: str, own: botocore.credentials.Credentials) -> botocore.credentials.ReadOnlyCredentials:
        with self._lock:
            kept = self._kept.get(tenant_id)
            if kept is None or kept[1] - time.time() < REFRESH_BEFORE_S:
                kept = self._kept[tenant_id] = self._assume(tenant_id, own.get_frozen_credentials())
            return kept[0]

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def _assume(
        self, tenant_id: str, own: botocore.credentials.ReadOnlyCredentials
    ) -> tuple[botocore.credentials.ReadOnlyCredentials, float]:
        # Signed with the function's own credentials explicitly: this call must not route through the provider.
        sts = botocore.session.get_session().create_client(
            "sts", aws_access_key_id=own.access_key, aws_secret_access_key=own.secret_key, aws_session_token=own.token
        )
        answer = sts.assume_role(
            RoleArn=self.role_arn,
            RoleSessionName=f"tenant-{tenant_id}",
            DurationSeconds=SESSION_SECONDS,
            Tags=[{"Key": TAG, "Value": tenant_id}],
        )["Credentials"]
        frozen = botocore.credentials.ReadOnlyCredentials(
            answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"]
        )
        return frozen, answer["Expiration"].timestamp()


class TenantScopedCredentials(botocore.credentials.Credentials):
    """Credentials that resolve at each signature: the current tenant's, else the function's own."""

    def __init__(self, own: botocore.credentials.Credentials, sessions: _Sessions) -> None:
        self._own, self._sessions = own, sessions
        self.method = "tenant-scoped"

    def get_frozen_credentials(self) -> botocore.credentials.ReadOnlyCredentials:
        tenant_id = _current.get()
        if tenant_id is None:
            return self._own.get_frozen_credentials()
        return self._sessions.get(tenant_id, self._own)

    @property
    def access_key(self) -> str:
        return self.get_frozen_credentials().access_key

    @property
    def secret_key(self) -> str:
        return self.get_frozen_credentials().secret_key

    @property
    def token(self) -> str | None:
        return self.get_frozen_credentials().token


class _TenantScopedProvider(botocore.credentials.CredentialProvider):
    METHOD = "tenant-scoped"
    CANONICAL_NAME = "TenantScoped"

    def __init__(self, chain: botocore.credentials.CredentialResolver, sessions: _Sessions) -> None:
        self._chain, self._sessions = chain, sessions

    def load(self) -> TenantScopedCredentials | None:
        own = self._chain.load_credentials()
        return TenantScopedCredentials(own, self._sessions) if own is not None else None


_sessions: _Sessions | None = None


def _tenant_sessions() -> _Sessions | None:
    global _sessions
    if _sessions is None and (role_arn := os.environ.get(ROLE_ENV)):
        _sessions = _Sessions(role_arn)
    return _sessions


def data_session() -> botocore.session.Session:
    """A botocore session for the tenant-data services (DynamoDB, S3): its clients sign as the current tenant.

    Only these: Step Functions, EventBridge, Cognito, KMS and the like stay with the function's own role, which names
    exactly what each function may do there.
    """
    session = botocore.session.get_session()
    sessions = _tenant_sessions()
    if sessions is not None:
        chain = botocore.credentials.create_credential_resolver(session)
        session.register_component(
            "credential_provider", botocore.credentials.CredentialResolver([_TenantScopedProvider(chain, sessions)])
        )
    return session


def forget_sessions() -> None:
    """Drops every kept tenant credential (after a SnapStart restore, credentials must not be shared)."""
    if _sessions is not None:
        _sessions.clear()
