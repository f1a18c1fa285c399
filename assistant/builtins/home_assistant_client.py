"""A small client for Home Assistant's REST API: `GET /api/` (is the token good?) and
`POST /api/conversation/process` (a sentence in, Home Assistant's spoken answer out),
as documented at developers.home-assistant.io/docs/api/rest. Errors are coded and
say what to do next; every message can be spoken."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from assistant.builtins.home_assistant_options import HomeAssistantOptions
from assistant.tools.registry import ToolError

MAX_RESPONSE_BYTES = 256 * 1024
LOGIN_HINT = "run `heron ha login` with a long-lived access token from your Home " \
             "Assistant profile page"


class HomeAssistantError(ToolError):
    """ha.unauthorized | ha.unreachable | ha.bad_response | ha.error | ha.no_token."""

    exit_code = 2


@dataclass(frozen=True)
class Conversation:
    """Home Assistant's answer to one sentence."""

    speech: str
    response_type: str  # action_done | query_answer | error
    code: str  # data.code of an error answer ("no_intent_match", …), else ""
    success: tuple[str, ...]  # names of the entities it acted on
    failed: tuple[str, ...]
    conversation_id: str
    language: str


class HomeAssistantClient:
    def __init__(self, options: HomeAssistantOptions) -> None:
        self.options = options

    async def check(self, token: str) -> str:
        """Home Assistant's greeting ("API running.") when the token is good."""
        data = await self._request("GET", "/api/", token, None)
        return str(data.get("message") or "")

    async def process(self, text: str, token: str, language: str = "",
                      conversation_id: str = "") -> Conversation:
        body: dict[str, Any] = {"text": text}
        if language:
            body["language"] = language
        if conversation_id:
            body["conversation_id"] = conversation_id
        data = await self._request("POST", "/api/conversation/process", token, body)
        try:
            response = data["response"]
            speech = str(((response.get("speech") or {}).get("plain") or {})
                         .get("speech") or "")
            details = response.get("data") or {}
            return Conversation(
                speech=speech, response_type=str(response.get("response_type") or ""),
                code=str(details.get("code") or ""),
                success=_names(details.get("success")), failed=_names(details.get("failed")),
                conversation_id=str(data.get("conversation_id") or ""),
                language=str(response.get("language") or language))
        except (KeyError, TypeError, AttributeError) as err:
            raise self._bad_response(f"no {err} in it") from None

    async def _request(self, method: str, path: str, token: str,
                       body: dict[str, Any] | None) -> dict[str, Any]:
        where = self.options.base_url
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        try:
            # No redirects: one could lead to a host the grant does not name.
            async with httpx.AsyncClient(timeout=self.options.timeout_s,
                                         follow_redirects=False) as client:
                response = await client.request(method, where + path, headers=headers,
                                                json=body)
        except httpx.TimeoutException:
            raise HomeAssistantError(
                "ha.unreachable", f"Home Assistant at {where} did not answer within "
                f"{self.options.timeout_s:g} seconds.",
                "check that Home Assistant is running, or [home_assistant] url") from None
        except httpx.HTTPError as err:
            raise HomeAssistantError(
                "ha.unreachable", f"I can't reach Home Assistant at {where} "
                f"({type(err).__name__}).",
                "check that Home Assistant is running and the address in [home_assistant] "
                "url (`heron ha status`)") from None
        if response.status_code == 401:
            raise HomeAssistantError(
                "ha.unauthorized", "Home Assistant refused Heron's access token: run heron "
                "ha login with a new long-lived token.", LOGIN_HINT)
        if response.status_code == 404:
            raise HomeAssistantError(
                "ha.not_found", f"Home Assistant at {where} has no {path} (is the "
                "conversation integration on, and is this Home Assistant's address?).",
                "check [home_assistant] url; `default_config:` in configuration.yaml turns "
                "on the conversation API")
        if response.status_code != 200:
            raise HomeAssistantError(
                "ha.unreachable", f"Home Assistant at {where} answered "
                f"{response.status_code}.", "look at Home Assistant's log, then try again")
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise self._bad_response("the answer is too large")
        try:
            data = response.json()
        except ValueError as err:
            raise self._bad_response(str(err)) from None
        if not isinstance(data, dict):
            raise self._bad_response("not a JSON object")
        return data

    def _bad_response(self, why: str) -> HomeAssistantError:
        return HomeAssistantError(
            "ha.bad_response", f"Home Assistant at {self.options.base_url} sent an answer I "
            f"can't read ({why}).", "check that [home_assistant] url is Home Assistant's "
            "address")


def _names(targets: Any) -> tuple[str, ...]:
    """The entities' names (else ids) in a success/failed list of targets."""
    if not isinstance(targets, list):
        return ()
    return tuple(str(t.get("name") or t.get("id") or "") for t in targets
                 if isinstance(t, dict))
