"""Users API: users of the tenant and their roles (each a Cognito user and a directory entry).

Parse, call the service, shape the reply. HQ admins manage everyone; a branch head the reps of their branch.
"""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.config import get_settings
from crm.db.base import bind_table
from crm.org.identity import UserPool
from crm.org.users import UserService
from crm.org.users_model import UserCreate, UserPage, UserPatch, UserView

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

UserIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$", description="The user's id")]


def users() -> UserService:
    return UserService(http.principal(app), UserPool(get_settings().user_pool_id))


@app.get("/users", tags=["users"], summary="Users in your scope", responses=http.documented(200, UserPage))
def list_users(limit: http.Limit = 50, cursor: http.Cursor = None) -> UserPage:
    page = users().page(limit, cursor)
    return UserPage(items=page.items, next_cursor=page.cursor)


@app.post(
    "/users",
    tags=["users"],
    summary="Create a user (sends the invitation by e-mail)",
    responses=http.documented(201, UserView, 409, etag=True, location="/users/{user_id}"),
)
def create_user(body: Annotated[UserCreate, Body()], idempotency_key: http.IdempotencyKey = None) -> Response[UserView]:
    service = users()

    def run() -> Response[Any]:
        created = service.create(body)
        return http.reply(created, 201, created.version, {"Location": f"/users/{created.id}"})

    return http.replayable(
        service.p, "create_user", idempotency_key, body.model_dump(mode="json"), run, app.lambda_context
    )


@app.get(
    "/users/<user_id>",
    tags=["users"],
    summary="Read one user",
    responses=http.documented(200, UserView, 404, etag=True),
)
def get_user(user_id: UserIdPath) -> Response[UserView]:
    user = users().get(user_id)
    return http.reply(user, version=user.version)


@app.patch(
    "/users/<user_id>",
    tags=["users"],
    summary="Change a user's roles or org unit (If-Match required); takes effect at the user's next token",
    responses=http.documented(200, UserView, 404, 412, 428, etag=True),
)
def update_user(
    user_id: UserIdPath, body: Annotated[UserPatch, Body()], if_match: http.IfMatch = None
) -> Response[UserView]:
    version = http.required_version(if_match)
    user = users().update(user_id, version, body)
    return http.reply(user, version=user.version)


@app.post(
    "/users/<user_id>/disable",
    tags=["users"],
    summary="Disable a user: no sign-in, and their next request is refused",
    responses=http.documented(200, UserView, 404, etag=True),
)
def disable_user(user_id: UserIdPath) -> Response[UserView]:
    user = users().set_active(user_id, active=False)
    return http.reply(user, version=user.version)


@app.post(
    "/users/<user_id>/enable",
    tags=["users"],
    summary="Enable a disabled user again",
    responses=http.documented(200, UserView, 404, etag=True),
)
def enable_user(user_id: UserIdPath) -> Response[UserView]:
    user = users().set_active(user_id, active=True)
    return http.reply(user, version=user.version)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
