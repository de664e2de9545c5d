"""The ways a notification leaves: the in-app inbox (repository), e-mail through SES, WeCom and DingTalk group
robots (their own JSON formats, posted to the robot's webhook)."""

from dataclasses import dataclass


class DeliveryError(Exception):
    """A channel could not deliver. `permanent`: sending again will not help (an address SES refuses, a robot that
    answers with an error code); otherwise the outbox tries again. The message never holds a URL or an address."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Mention:
    """Someone a robot post is for: named in the text, @mentioned by mobile number when the directory has one."""

    name: str
    mobile: str | None
