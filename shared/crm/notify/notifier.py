"""The notifier: one happening off the bus → who gets it on which channel → rendered once → delivered once.

Once: every delivery is a conditional put keyed by tenant, event id and recipient/channel (or robot) before
anything leaves. The inbox entry is written in that same transaction, so it is exactly once. An e-mail or robot
post is claimed first, sent, then marked sent: a crash between the two leaves a claim in the outbox, which the
scheduled run takes over once its lease has passed and sends (so at least once, and twice only if the crash
fell after SES or the robot took the message and before it was marked). Deferred deliveries (quiet hours) and
retries wait in the same outbox.
"""

import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from crm import clock, tenancy
from crm.aws import client
from crm.db.models import DeliveryItem
from crm.notify import repository as repo
from crm.notify.channels import DeliveryError, Mention, dingtalk, webhook, wecom
from crm.notify.channels import email as email_channel
from crm.notify.events import Happening, NotAHappening, parse
from crm.notify.model import Channel, Message, PreferencesIn, RobotKind
from crm.notify.render import email_text, render
from crm.notify.routing import TenantContext, plan
from crm.notify.secrets import Cipher

logger = Logger(child=True)

LEASE = timedelta(minutes=2)  # a claim older than this belongs to an invocation that died (Timeout is 30 s)
MAX_ATTEMPTS = 5  # sends of one delivery before it is given up as failed (one per scheduled run after the first)
OUTBOX_BUDGET = 200  # deliveries one scheduled run looks at; the rest wait five minutes
REDRIVE_BUDGET = 100

Counts = Counter[str]


class Notifier:
    def __init__(
        self,
        cipher: Callable[[], Cipher],
        default_sender: str | None,
        send_email: Callable[[str, str, str, str], str] = email_channel.send,
        post: Callable[[str, dict[str, Any]], None] = webhook.post_json,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self.cipher, self.default_sender = cipher, default_sender
        self.send_email, self.post, self.now = send_email, post, now

    # --------------------------------------------------------------------------------------- one event

    def handle(self, event: dict[str, Any]) -> Counts:
        h = parse(event)
        with tenancy.acting_for(h.tenant_id):
            return self._handle(h)

    def _handle(self, h: Happening) -> Counts:
        ctx = TenantContext.load(h.tenant_id)
        prefs = repo.prefs_of(h.tenant_id, list(h.recipients)) if h.recipients else {}
        message = render(h, ctx.name_of)
        todo, counts, now = plan(h, ctx, prefs), Counter[str](), self.now()
        for user_id in todo.inbox:
            counts[
                "inbox"
                if repo.deliver_to_inbox(h.tenant_id, h.event_id, h.name, user_id, message, now)
                else "duplicate"
            ] += 1
        quiet = ctx.quiet(now)
        for user_id in todo.email:
            held = quiet and prefs.get(user_id, PreferencesIn()).quiet_hours
            item = repo.claim(
                h.tenant_id,
                h.event_id,
                h.name,
                f"email#{user_id}",
                Channel.EMAIL,
                {"user_id": user_id, **message.model_dump(mode="json")},
                held,
                now,
            )
            counts[self._after_claim(item, ctx)] += 1
        for robot_id, users in todo.robots.items():
            robot = ctx.settings.robot(robot_id)
            assert robot is not None
            item = repo.claim(
                h.tenant_id,
                h.event_id,
                h.name,
                f"robot#{robot_id}",
                robot.kind,
                {"robot_id": robot_id, "user_ids": users, **message.model_dump(mode="json")},
                quiet,
                now,
            )
            counts[self._after_claim(item, ctx)] += 1
        logger.info(
            "notified",
            extra={"tenant_id": h.tenant_id, "event_id": h.event_id, "event": h.name, "counts": dict(counts)},
        )
        return counts

    def _after_claim(self, item: DeliveryItem | None, ctx: TenantContext) -> str:
        if item is None:
            return "duplicate"
        if item.status == "deferred":
            return "deferred"
        return self._send(item, ctx)

    # --------------------------------------------------------------------------------------- sending

    def _send(self, item: DeliveryItem, ctx: TenantContext) -> str:
        """Sends a claimed delivery and records how it went; returns that status."""
        now = self.now()
        try:
            status, note = self._deliver(item, ctx, repo.message_of(item))
        except DeliveryError as exc:
            status = "failed" if exc.permanent or item.attempts >= MAX_ATTEMPTS else "retry"
            note = str(exc)
            logger.warning(
                "delivery not made",
                extra={
                    "tenant_id": item.tenant_id,
                    "event_id": item.event_id,
                    "delivery": item.sk,
                    "status": status,
                    "error": note,
                },
            )
        repo.finish(item, status, now, note)
        return status

    def _deliver(self, item: DeliveryItem, ctx: TenantContext, msg: dict[str, Any]) -> tuple[str, str | None]:
        message = Message.model_validate({k: msg.get(k) for k in ("title", "body", "ref")})
        if item.channel == Channel.EMAIL:
            return self._email(ctx, msg["user_id"], message)
        return self._robot(ctx, msg["robot_id"], msg.get("user_ids", []), message)

    def _email(self, ctx: TenantContext, user_id: str, message: Message) -> tuple[str, str | None]:
        user = ctx.users.get(user_id)
        if not ctx.settings.email.enabled:
            return "dropped", "e-mail was switched off for the tenant"
        if user is None or not user.active or not user.email:
            return "dropped", "the user has no e-mail address"
        sender = ctx.settings.email.sender or self.default_sender
        if not sender:
            return "dropped", "no sender configured"
        self.send_email(sender, user.email, message.title, email_text(message))
        return "sent", None

    def _robot(
        self, ctx: TenantContext, robot_id: str, user_ids: list[str], message: Message
    ) -> tuple[str, str | None]:
        robot = ctx.settings.robot(robot_id)
        if robot is None:
            return "dropped", "the robot was removed"
        mentions = [Mention(u.name, u.mobile) for uid in user_ids if (u := ctx.users.get(uid))]
        cipher = self.cipher()
        url = cipher.decrypt(ctx.tenant_id, robot.url_ciphertext)
        if robot.kind == RobotKind.WECOM:
            self.post(url, wecom.payload(message, mentions))
            return "sent", None
        if robot.secret_ciphertext:
            secret = cipher.decrypt(ctx.tenant_id, robot.secret_ciphertext)
            url = dingtalk.signed_url(url, secret, int(self.now().timestamp() * 1000))
        self.post(url, dingtalk.payload(message, mentions))
        return "sent", None

    # --------------------------------------------------------------------------------------- scheduled run

    def deliver_outbox(self, budget: int = OUTBOX_BUDGET) -> Counts:
        """Sends what waits in the outbox: deferred deliveries of tenants no longer in quiet hours, retries, and
        claims whose invocation died. A tenant still in its quiet hours is skipped whole (one read)."""
        counts, contexts, after = Counter[str](), dict[str, TenantContext](), ""
        while budget > 0:
            items = repo.outbox(after, min(100, budget))
            if not items:
                break
            for item in items:  # the outbox index is read with the function's own role; each item as its tenant
                with tenancy.acting_for(item.tenant_id):
                    ctx = contexts.get(item.tenant_id) or contexts.setdefault(
                        item.tenant_id, TenantContext.load(item.tenant_id)
                    )
                    if ctx.quiet(self.now()):
                        after = f"{item.tenant_id}#\uffff"  # past every key of this tenant
                        counts["quiet"] += 1
                        break
                    after, budget = item.gsi4sk or after, budget - 1
                    counts[self._retake(item, ctx)] += 1
        return counts

    def _retake(self, item: DeliveryItem, ctx: TenantContext) -> str:
        now = self.now()
        if item.status == "claimed" and item.claimed_at and datetime.fromisoformat(item.claimed_at) > now - LEASE:
            return "in_flight"  # another invocation is sending it right now
        if not repo.take_over(item, now):
            return "taken"
        return self._send(item, ctx)

    # --------------------------------------------------------------------------------------- dead letters

    def redrive(self, queue_url: str | None, budget: int = REDRIVE_BUDGET) -> Counts:
        """Handles again the events in the notifier's dead-letter queue (they failed every retry); each is deleted
        once handled. The deliveries they already made are not made twice."""
        if not queue_url:
            raise RuntimeError("NOTIFIER_DLQ_URL is not configured")
        sqs, counts = client("sqs"), Counter[str]()
        while budget > 0:
            batch = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=min(10, budget), WaitTimeSeconds=0, VisibilityTimeout=60
            ).get("Messages", [])
            if not batch:
                break
            budget -= len(batch)
            for message in batch:
                counts[self._redrive_one(queue_url, message)] += 1
        return counts

    def _redrive_one(self, queue_url: str, message: dict[str, Any]) -> str:
        try:
            self.handle(json.loads(message["Body"]))
        except (NotAHappening, ValueError) as exc:
            logger.warning("dead letter dropped: not a notification event", extra={"error": str(exc)})
            outcome = "redrive_dropped"
        except Exception:
            logger.exception("dead letter still fails; it stays in the queue")
            return "redrive_failed"
        else:
            outcome = "redriven"
        client("sqs").delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return outcome
