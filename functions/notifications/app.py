"""Notifications API: my inbox (list, unread count, mark read), my preferences, the tenant's settings (HQ)."""

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.config import get_settings
from crm.db.base import bind_table
from crm.ids import ULID_PATTERN
from crm.notify.model import (
    Notification,
    NotificationPage,
    NotificationSettings,
    Preferences,
    PreferencesIn,
    ReadAll,
    SettingsIn,
    UnreadCount,
)
from crm.notify.secrets import Cipher, cipher
from crm.notify.service import NotificationService

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

NotificationIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="Notification id (ULID)")]


@cache
def _cipher() -> Cipher:
    return cipher(get_settings().notify_key_id)


def notifications() -> NotificationService:
    return NotificationService(http.principal(app), _cipher, get_settings().notify_default_sender)


@app.get(
    "/notifications",
    tags=["notifications"],
    summary="My notifications, newest first",
    responses=http.documented(200, NotificationPage),
)
def list_notifications(
    unread: Annotated[str | None, Query(max_length=5, description="true: only unread")] = None,
    limit: http.Limit = 50,
    cursor: http.Cursor = None,
) -> NotificationPage:
    return notifications().list(http.flag(unread), limit, cursor)


@app.get(
    "/notifications/unread-count",
    tags=["notifications"],
    summary="How many of my notifications are unread",
    responses=http.documented(200, UnreadCount),
)
def unread_count() -> UnreadCount:
    return notifications().unread_count()


@app.post(
    "/notifications/<notification_id>/read",
    tags=["notifications"],
    summary="Mark one of my notifications read (again: no change)",
    responses=http.documented(200, Notification, 404),
)
def mark_read(notification_id: NotificationIdPath) -> Notification:
    return notifications().mark_read(notification_id)


@app.post(
    "/notifications/read-all",
    tags=["notifications"],
    summary="Mark all my notifications read",
    responses=http.documented(200, ReadAll),
)
def read_all() -> ReadAll:
    return notifications().read_all()


@app.get(
    "/notifications/preferences",
    tags=["notifications"],
    summary='My channels per event and whether quiet hours hold my e-mail (ETag "0": never set)',
    responses=http.documented(200, Preferences, etag=True),
)
def get_preferences() -> Response[Preferences]:
    prefs, version = notifications().get_prefs()
    return http.reply(prefs, version=version)


@app.put(
    "/notifications/preferences",
    tags=["notifications"],
    summary='Set my channels per event (If-Match, "0" for the first time)',
    responses=http.documented(200, Preferences, 412, 428, etag=True),
)
def put_preferences(body: Annotated[PreferencesIn, Body()], if_match: http.IfMatch = None) -> Response[Preferences]:
    prefs, version = notifications().put_prefs(body, http.required_version(if_match))
    return http.reply(prefs, version=version)


@app.get(
    "/notification-settings",
    tags=["notifications"],
    operation_id="getNotificationSettings",
    summary="The tenant's time zone, quiet hours, default channels, e-mail and robots (never a robot's URL or secret)",
    responses=http.documented(200, NotificationSettings, etag=True),
)
def get_settings_() -> Response[NotificationSettings]:
    settings, version = notifications().get_settings()
    return http.reply(settings, version=version)


@app.put(
    "/notification-settings",
    tags=["notifications"],
    operation_id="putNotificationSettings",
    summary='Replace the tenant\'s notification settings (HQ admin; If-Match, "0" over the defaults). A robot '
    "sent with its id and no webhook_url keeps its stored URL",
    responses=http.documented(200, NotificationSettings, 412, 428, etag=True),
)
def put_settings(body: Annotated[SettingsIn, Body()], if_match: http.IfMatch = None) -> Response[NotificationSettings]:
    settings, version = notifications().put_settings(body, http.required_version(if_match))
    return http.reply(settings, version=version)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
