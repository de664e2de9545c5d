"""The Cognito hosted UI stand-in: OAuth 2.0 authorization code with PKCE, as the console uses it in AWS.

Cognito's endpoints are <domain>/oauth2/authorize, <domain>/oauth2/token and <domain>/logout; here the
domain is <api>/_local, so the console runs one sign-in path in both places (its config.json names the
domain). The authorize page lists the local pool's enabled users instead of asking for a password:
choosing one signs in as them. A user whose second factor is an SMS code (HQ admins and finance, set by the users
API) is then asked for the code, as Cognito asks: six digits, valid three minutes, three tries; the text goes to
the local outbox (`GET /_local/sms`, and the log) instead of the phone. Codes are single use and short-lived, the
PKCE verifier is checked (S256), the redirect URI must be the console's own callback, signing out returns only to
the template's LogoutURLs, and a refresh token gets new ID tokens while its user stays enabled, as Cognito's do.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from werkzeug.wrappers import Request, Response

from . import tokens

ID_TOKEN_LIFETIME_S = 3600  # Cognito's default for ID and access tokens
CODE_LIFETIME_S = 300
CALLBACK_PATH = "/console/callback"
_PARAMS = ("response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope")
SIGNED_OUT_PATH = "/console/"
LOGOUT_PATHS = (SIGNED_OUT_PATH, "/console/m/")  # the template's LogoutURLs (tests/localcloud/test_local_signin.py)
SMS_CODE_LIFETIME_S = 180  # Cognito's SMS MFA codes are valid three minutes
SMS_CODE_TRIES = 3

log = logging.getLogger("localcloud.signin")


@dataclass(frozen=True)
class _Grant:
    username: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    expires: float


@dataclass
class _SmsChallenge:
    username: str
    phone: str
    code: str
    expires: float
    tries_left: int = SMS_CODE_TRIES


@dataclass(frozen=True)
class Text:
    """A text message the local runtime 'sent' (Cognito would send it through SNS)."""

    to: str
    message: str
    sent_at: float


class LocalOAuth:
    """Serves /_local/oauth2/authorize, /_local/oauth2/token and /_local/logout."""

    def __init__(self, id_token_lifetime_s: int = ID_TOKEN_LIFETIME_S) -> None:
        self.id_token_lifetime_s = id_token_lifetime_s
        self._codes: dict[str, _Grant] = {}
        self._refresh: dict[str, str] = {}  # refresh token -> username
        self._challenges: dict[str, _SmsChallenge] = {}  # sign-in session -> the code it waits for
        self.texts: list[Text] = []  # the local SMS outbox, oldest first
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response | None:
        if request.path == "/_local/oauth2/authorize":
            return self._authorize(request)
        if request.path == "/_local/oauth2/token":
            return self._token(request) if request.method == "POST" else _oauth_error("invalid_request", 405)
        if request.path == "/_local/logout":
            return self._logout(request)
        if request.path == "/_local/sms":
            to = request.args.get("to")
            texts = [t for t in self.texts if to is None or t.to == to]
            return _json({"items": [{"to": t.to, "message": t.message, "sent_at": t.sent_at} for t in texts[::-1]]})
        return None

    # ------------------------------------------------------------ authorize
    def _authorize(self, request: Request) -> Response:
        params = request.form if request.method == "POST" else request.args
        problem = _authorize_problem(request, params)
        if problem:
            return _page(400, "无法登录 · Cannot sign in", f"<p>{html.escape(problem)}</p>")
        if request.method != "POST":
            return self._chooser(params)
        if params.get("session"):
            return self._second_factor(params)
        username = params.get("username", "")
        user = next((u for u in tokens.pool_users() if u.username == username and u.enabled), None)
        if user is None:
            return self._chooser(params, notice=f"No enabled user {username!r} in the local pool.")
        if user.sms_mfa_enabled:
            return self._text_a_code(params, user)
        return self._signed_in(params, username)

    def _signed_in(self, params: Any, username: str) -> Response:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Grant(
                username, params["client_id"], params["redirect_uri"], params["code_challenge"],
                time.monotonic() + CODE_LIFETIME_S,
            )  # fmt: skip
        query = urlencode({"code": code, **({"state": params["state"]} if params.get("state") else {})})
        return Response(status=302, headers={"Location": f"{params['redirect_uri']}?{query}"})

    # ------------------------------------------------------------ second factor (SMS)
    def _text_a_code(self, params: Any, user: Any) -> Response:
        phone = user.attribute_lookup.get("phone_number", "")
        if not phone:  # Cognito cannot send it either: the users API never leaves such a user
            return self._chooser(params, notice=f"{user.username} must sign in with an SMS code but has no mobile.")
        session, code = secrets.token_urlsafe(24), f"{secrets.randbelow(10**6):06d}"
        text = Text(phone, f"您的登录验证码是 {code}，3 分钟内有效。Your sign-in code is {code}.", time.time())
        with self._lock:
            expires = time.monotonic() + SMS_CODE_LIFETIME_S
            self._challenges[session] = _SmsChallenge(user.username, phone, code, expires)
            self.texts.append(text)
        log.warning("SMS to %s: %s", phone, text.message)  # where `make dev` shows it
        return self._code_page(params, session, phone)

    def _second_factor(self, params: Any) -> Response:
        session, typed = params["session"], params.get("sms_code", "").strip()
        with self._lock:
            challenge = self._challenges.pop(session, None)
            live = challenge is not None and challenge.expires >= time.monotonic()
            right = live and secrets.compare_digest(typed, challenge.code)
            if live and not right:
                challenge.tries_left -= 1
                if challenge.tries_left:
                    self._challenges[session] = challenge  # another try
        if challenge is None or not live:
            return self._chooser(params, notice="The code has expired: sign in again. 验证码已过期，请重新登录。")
        if right:
            return self._signed_in(params, challenge.username)
        if not challenge.tries_left:
            return self._chooser(params, notice="Wrong code three times: sign in again. 验证码错误三次，请重新登录。")
        return self._code_page(params, session, challenge.phone, notice="Wrong code. 验证码不正确。")

    def _code_page(self, params: Any, session: str, phone: str, notice: str = "") -> Response:
        hidden = _hidden(params) + f'<input type="hidden" name="session" value="{html.escape(session)}">'
        masked = "*" * max(len(phone) - 4, 0) + phone[-4:]
        body = (
            f"<p>验证码已通过短信发送至 {html.escape(masked)}。<br>"
            f"We have sent a code by SMS to {html.escape(masked)}.</p>"
            "<p class='hint'>本地运行：短信在 <a href='/_local/sms'>/_local/sms</a> 与运行日志中。"
            "Local runtime: the text is at /_local/sms and in the log.</p>"
            + (f"<p class='notice'>{html.escape(notice)}</p>" if notice else "")
            + f'<form method="post">{hidden}<label>验证码 Code <input name="sms_code" inputmode="numeric" '
            'autocomplete="one-time-code" maxlength="6" autofocus required></label> '
            '<button type="submit" class="primary">登录 Sign in</button></form>'
        )
        return _page(200, "短信验证码 · SMS code", body)

    def _chooser(self, params: Any, notice: str = "") -> Response:
        hidden = _hidden(params)
        by_tenant: dict[str, list[str]] = {}
        for user in tokens.pool_users():
            if not user.enabled:
                continue
            claims = tokens.pool_claims(user)
            roles = claims.get("custom:roles", "").replace(",", ", ")
            button = (
                f'<button type="submit" name="username" value="{html.escape(user.username)}">'
                f"<b>{html.escape(claims.get('name') or user.username)}</b>"
                f"<span>{html.escape(user.username)} · {html.escape(roles)}</span></button>"
            )
            by_tenant.setdefault(claims.get("custom:tenant_id", ""), []).append(button)
        groups = "".join(
            f"<h2>{html.escape(tenant or '—')}</h2><div class='users'>{''.join(buttons)}</div>"
            for tenant, buttons in sorted(by_tenant.items())
        )
        body = (
            "<p>本地运行：选择一个用户登录（在 AWS 上这里是 Cognito 的登录页）。<br>"
            "Local runtime: choose a user to sign in as (in AWS this is Cognito's sign-in page).</p>"
            + (f"<p class='notice'>{html.escape(notice)}</p>" if notice else "")
            + f"<form method='post'>{hidden}{groups or '<p>No users in the local pool.</p>'}</form>"
        )
        return _page(200, "登录 · Sign in", body)

    # ------------------------------------------------------------ token
    def _token(self, request: Request) -> Response:
        form = request.form
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        if grant_type == "refresh_token":
            with self._lock:
                username = self._refresh.get(form.get("refresh_token", ""))
            if username is None:
                return _oauth_error("invalid_grant")
            return self._tokens(username, refresh_token=None)
        return _oauth_error("unsupported_grant_type")

    def _exchange_code(self, form: Any) -> Response:
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # single use, even when the checks fail
        if grant is None or grant.expires < time.monotonic():
            return _oauth_error("invalid_grant")
        if form.get("client_id") != grant.client_id or form.get("redirect_uri") != grant.redirect_uri:
            return _oauth_error("invalid_grant")
        if _challenge(form.get("code_verifier", "")) != grant.code_challenge:
            return _oauth_error("invalid_grant")
        refresh_token = secrets.token_urlsafe(48)
        with self._lock:
            self._refresh[refresh_token] = grant.username
        return self._tokens(grant.username, refresh_token)

    def _tokens(self, username: str, refresh_token: str | None) -> Response:
        try:
            id_token = tokens.token_for(username, lifetime_s=self.id_token_lifetime_s)
        except tokens.NoToken:  # disabled or deleted since sign-in: Cognito refuses the refresh too
            return _oauth_error("invalid_grant")
        access_token = tokens.mint_token(
            {"token_use": "access", "username": username, "client_id": tokens.CLIENT_ID}, self.id_token_lifetime_s
        )
        body: dict[str, Any] = {
            "id_token": id_token,
            "access_token": access_token,
            "expires_in": self.id_token_lifetime_s,
            "token_type": "Bearer",
        }
        if refresh_token:
            body["refresh_token"] = refresh_token
        return _json(body)

    # ------------------------------------------------------------ logout
    def _logout(self, request: Request) -> Response:
        target = request.args.get("logout_uri", "")
        where = urlsplit(target)
        if target and (where.netloc not in ("", request.host) or where.path not in LOGOUT_PATHS):
            allowed = ", ".join(LOGOUT_PATHS)
            return _page(400, "无法退出 · Cannot sign out", f"<p>logout_uri must be this server's {allowed}.</p>")
        return Response(status=302, headers={"Location": target or SIGNED_OUT_PATH})


def _authorize_problem(request: Request, params: Any) -> str | None:
    """Why Cognito would refuse this authorize request, or None."""
    if params.get("response_type") != "code":
        return "response_type must be code."
    if params.get("client_id") != tokens.CLIENT_ID:
        return f"Unknown client_id; the local app client is {tokens.CLIENT_ID}."
    redirect = urlsplit(params.get("redirect_uri", ""))
    if redirect.netloc != request.host or redirect.path != CALLBACK_PATH:
        return f"redirect_uri must be this server's {CALLBACK_PATH}."
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        return "PKCE is required: code_challenge with code_challenge_method=S256."
    return None


def _hidden(params: Any) -> str:
    """The authorize request's parameters, carried through the page's form."""
    return "".join(f'<input type="hidden" name="{n}" value="{html.escape(params.get(n, ""))}">' for n in _PARAMS)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _oauth_error(error: str, status: int = 400) -> Response:
    return _json({"error": error}, status)


def _json(data: dict[str, Any], status: int = 200) -> Response:
    import json

    return Response(json.dumps(data), status=status, content_type="application/json",
                    headers={"Cache-Control": "no-store"})  # fmt: skip


_STYLE = """body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:720px;margin:40px auto;
padding:0 16px;color:#1f1f1f}h1{font-size:22px}h2{font-size:15px;color:#595959;margin-top:24px}
.users{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:8px}
button{display:flex;flex-direction:column;align-items:flex-start;gap:2px;padding:10px 12px;border:1px solid #d9d9d9;
border-radius:8px;background:#fff;cursor:pointer;text-align:left;font:inherit}button:hover{border-color:#1677ff}
button span{font-size:12px;color:#595959}.notice{color:#cf1322}.hint{font-size:13px;color:#595959}
input[name=sms_code]{font:inherit;font-size:20px;letter-spacing:4px;width:8em;padding:6px 8px;margin:0 8px}
button.primary{display:inline-block;background:#1677ff;color:#fff;border-color:#1677ff}"""


def _page(status: int, title: str, body: str) -> Response:
    page = (
        f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{title}</title>"
        f"<style>{_STYLE}</style><body><h1>{title}</h1>{body}</body></html>"
    )
    return Response(page, status=status, content_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-store"})  # fmt: skip
