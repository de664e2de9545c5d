"""The identity provider port: the stack's Cognito user pool (locally, moto's, created from the template).

A user's id everywhere in the product is the pool's `sub`; its custom attributes are the claims the API reads
(crm.auth.principal_from_claims). Only crm.org.users and crm.org.tenants call this.
"""

from dataclasses import dataclass
from typing import Any

from crm.aws import client
from crm.errors import Conflict


@dataclass(frozen=True)
class IdentityAttributes:
    """What the pool holds of a user: ID token claims come from these."""

    tenant_id: str
    org_unit_id: str
    roles: list[str]
    name: str
    email: str
    phone: str | None = None
    distributor_id: str | None = None

    def cognito(self) -> list[dict[str, str]]:
        values = {
            "custom:tenant_id": self.tenant_id,
            "custom:org_unit_id": self.org_unit_id,
            "custom:roles": ",".join(sorted(self.roles)),
            "custom:distributor_id": self.distributor_id or "",
            "name": self.name,
            "email": self.email,
            "email_verified": "true",
            "phone_number": self.phone or "",
        }
        return [{"Name": k, "Value": v} for k, v in values.items() if v]


class UserPool:
    """One Cognito user pool (the stack's USER_POOL_ID); users are addressed by username."""

    def __init__(self, pool_id: str | None) -> None:
        if not pool_id:
            raise RuntimeError("No user pool is configured (USER_POOL_ID)")
        self.pool_id = pool_id
        self.cognito: Any = client("cognito-idp")

    def create_user(self, username: str, attributes: IdentityAttributes) -> str:
        """Creates the user and sends the invitation (a temporary password by e-mail); returns its sub."""
        try:
            created = self.cognito.admin_create_user(
                UserPoolId=self.pool_id,
                Username=username,
                UserAttributes=attributes.cognito(),
                DesiredDeliveryMediums=["EMAIL"],
            )
        except self.cognito.exceptions.UsernameExistsException:
            raise Conflict(f"The username {username!r} is taken.") from None
        return str(next(a["Value"] for a in created["User"]["Attributes"] if a["Name"] == "sub"))

    def delete_user(self, username: str) -> None:
        """Undoes create_user when the directory write after it fails."""
        self.cognito.admin_delete_user(UserPoolId=self.pool_id, Username=username)

    def update_claims(self, username: str, org_unit_id: str, roles: list[str]) -> None:
        """New unit and roles; they reach the user's ID token at its next issue (sign-in or refresh)."""
        self.cognito.admin_update_user_attributes(
            UserPoolId=self.pool_id,
            Username=username,
            UserAttributes=[
                {"Name": "custom:org_unit_id", "Value": org_unit_id},
                {"Name": "custom:roles", "Value": ",".join(sorted(roles))},
            ],
        )

    def disable(self, username: str) -> None:
        """No new sign-in, and every refresh token revoked. ID tokens already issued stay valid until they expire:
        the API refuses them itself (crm.api.http.principal reads the directory)."""
        self.cognito.admin_disable_user(UserPoolId=self.pool_id, Username=username)
        self.cognito.admin_user_global_sign_out(UserPoolId=self.pool_id, Username=username)

    def require_second_factor(self, username: str, required: bool) -> None:
        """Required: Cognito asks for a code sent by SMS to the user's mobile at every sign-in (an authenticator app
        the user sets up later is asked for instead). Not required: the SMS code is no longer asked for."""
        self.cognito.admin_set_user_mfa_preference(
            UserPoolId=self.pool_id, Username=username, SMSMfaSettings={"Enabled": required, "PreferredMfa": required}
        )

    def enable(self, username: str) -> None:
        self.cognito.admin_enable_user(UserPoolId=self.pool_id, Username=username)
