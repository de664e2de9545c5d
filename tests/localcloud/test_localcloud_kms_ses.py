"""KMS keys and aliases, SES identities, and the mail sent through SES v1 and v2."""

import uuid
from email.message import EmailMessage

import botocore.exceptions
import pytest
from localcloud import LocalCloud


def test_the_key_has_the_id_and_arn_the_template_resolved_and_its_alias_works(small_cloud: LocalCloud) -> None:
    env = small_cloud.function_env("EventsFunction")
    kms = small_cloud.client("kms")

    described = kms.describe_key(KeyId=env["KEY_ID"])["KeyMetadata"]
    assert (described["Arn"], described["Description"]) == (env["KEY_ARN"], "Seals secrets in the tests")
    assert env["KEY_ALIAS"] == "alias/lc-test/secrets"
    context = {"tenant_id": "demo"}
    sealed = kms.encrypt(KeyId=env["KEY_ALIAS"], Plaintext=b"webhook secret", EncryptionContext=context)
    opened = kms.decrypt(KeyId=env["KEY_ID"], CiphertextBlob=sealed["CiphertextBlob"], EncryptionContext=context)
    assert (opened["Plaintext"], opened["KeyId"]) == (b"webhook secret", env["KEY_ARN"])
    with pytest.raises(botocore.exceptions.ClientError, match="InvalidCiphertext"):  # another tenant's context
        kms.decrypt(CiphertextBlob=sealed["CiphertextBlob"], EncryptionContext={"tenant_id": "other"})
    aliases = {a["AliasName"]: a["TargetKeyId"] for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/lc-test/secrets"] == env["KEY_ID"]


def mail_with(cloud: LocalCloud, subject: str) -> dict:
    (mail,) = [m for m in cloud.sent_emails() if m["subject"] == subject]
    return mail


def test_mail_sent_through_ses_v1_and_v2_is_recorded_with_both_bodies(small_cloud: LocalCloud) -> None:
    subject = f"审批提醒 {uuid.uuid4().hex}"
    small_cloud.client("ses").send_email(
        Source="CRM <noreply@mail.example.com>",  # the domain identity covers every address in it
        Destination={"ToAddresses": ["rep.zhang@example.cn"], "CcAddresses": ["boss@example.cn"]},
        Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": "请审批"}, "Html": {"Data": "<p>请审批</p>"}}},
    )
    mail = mail_with(small_cloud, subject)
    assert (mail["source"], mail["to"], mail["cc"], mail["bcc"]) == (
        "CRM <noreply@mail.example.com>", ["rep.zhang@example.cn"], ["boss@example.cn"], [],
    )  # fmt: skip
    assert (mail["text"], mail["html"]) == ("请审批", "<p>请审批</p>")

    subject = f"v2 {uuid.uuid4().hex}"
    small_cloud.client("sesv2").send_email(
        FromEmailAddress="robot@example.org",  # an address identity
        Destination={"ToAddresses": ["a@example.cn"]},
        Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": "text only"}}}},
    )
    mail = mail_with(small_cloud, subject)
    assert (mail["source"], mail["to"], mail["text"], mail["html"]) == (
        "robot@example.org", ["a@example.cn"], "text only", None,
    )  # fmt: skip


def test_raw_mail_is_parsed_back_into_its_parts(small_cloud: LocalCloud) -> None:
    message = EmailMessage()
    message["Subject"] = subject = f"raw {uuid.uuid4().hex}"
    message["From"], message["To"] = "robot@example.org", "x@example.cn, y@example.cn"
    message.set_content("纯文本")
    message.add_alternative("<b>超文本</b>", subtype="html")
    small_cloud.client("sesv2").send_email(Content={"Raw": {"Data": message.as_bytes()}})

    mail = mail_with(small_cloud, subject)
    assert (mail["source"], mail["to"]) == ("robot@example.org", ["x@example.cn", "y@example.cn"])
    assert (mail["text"].strip(), mail["html"].strip()) == ("纯文本", "<b>超文本</b>")


def test_mail_from_an_unverified_sender_is_rejected(small_cloud: LocalCloud) -> None:
    with pytest.raises(botocore.exceptions.ClientError, match="MessageRejected"):
        small_cloud.client("ses").send_email(
            Source="someone@elsewhere.example",
            Destination={"ToAddresses": ["a@example.cn"]},
            Message={"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}},
        )
    identities = small_cloud.client("sesv2").list_email_identities()["EmailIdentities"]
    assert {"mail.example.com", "robot@example.org"} <= {i["IdentityName"] for i in identities}
