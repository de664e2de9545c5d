"""E-mail through SES (v2 SendEmail), one message per recipient, plain UTF-8 text."""

from botocore.exceptions import ClientError

from crm.aws import client
from crm.notify.channels import DeliveryError

# Worth sending again later; anything else SES says (a refused or unverified sender, a paused account, a bad
# address) will be said again.
RETRYABLE = frozenset(
    {
        "TooManyRequestsException",
        "LimitExceededException",
        "ThrottlingException",
        "InternalFailure",
        "ServiceUnavailable",
        "InternalServiceErrorException",
    }
)


def send(sender: str, to: str, subject: str, text: str) -> str:
    """Sends one message; returns SES's message id."""
    try:
        answer = client("sesv2").send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": [to]},
            Content={
                "Simple": {
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
                }
            },
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        raise DeliveryError(f"SES refused the message: {code}", permanent=code not in RETRYABLE) from None
    return str(answer.get("MessageId", ""))
