"""Robot webhook URLs and signing secrets are secrets: encrypted with the stack's KMS key before they are stored,
the tenant id as encryption context (a ciphertext copied to another tenant's settings does not decrypt)."""

import base64
from typing import Protocol

from crm.aws import client

PURPOSE = "notify-robot"


class Cipher(Protocol):
    def encrypt(self, tenant_id: str, plaintext: str) -> str: ...

    def decrypt(self, tenant_id: str, ciphertext: str) -> str: ...


class KmsCipher:
    def __init__(self, key_id: str) -> None:
        self.key_id = key_id

    def encrypt(self, tenant_id: str, plaintext: str) -> str:
        blob = client("kms").encrypt(
            KeyId=self.key_id, Plaintext=plaintext.encode(), EncryptionContext=_context(tenant_id)
        )["CiphertextBlob"]
        return base64.b64encode(blob).decode()

    def decrypt(self, tenant_id: str, ciphertext: str) -> str:
        answer = client("kms").decrypt(
            KeyId=self.key_id, CiphertextBlob=base64.b64decode(ciphertext), EncryptionContext=_context(tenant_id)
        )
        return bytes(answer["Plaintext"]).decode()


def _context(tenant_id: str) -> dict[str, str]:
    return {"tenant_id": tenant_id, "purpose": PURPOSE}


def cipher(key_id: str | None) -> Cipher:
    if not key_id:
        raise RuntimeError("NOTIFY_KEY_ID is not configured: robot secrets cannot be stored or read")
    return KmsCipher(key_id)
