"""The LLM seam: options for [llm], the result of one chat request, and the client
for any OpenAI-compatible endpoint (Ollama, llama.cpp server, vLLM, LM Studio):
streamed text, streamed tool calls, retries with backoff and a circuit breaker."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from assistant.agent.llm_breaker import CircuitBreaker, backoff_s, parse_retry_after
from models.errors import CodedError

log = logging.getLogger(__name__)

MODES = ("off", "openai", "embedded")
API_KEY_ENV = "HERON_LLM_API_KEY"

TextCallback = Callable[[str], None]


class LlmError(CodedError):
    """The language model could not answer (llm.unavailable, llm.circuit_open, …)."""

    exit_code = 6


@dataclass(frozen=True)
class LlmOptions:
    """[llm] in config.toml.

    mode: off | openai (any OpenAI-compatible server at base_url) | embedded (the
    bundled SmolLM2 in process; tool choice only, see llm_embedded.py). The API key
    is not in the file: it is the secret named api_key_name (`HERON_LLM_API_KEY`
    in the environment when no secret store is available)."""

    # "off" by default: the bundled 135M model picked the right tool for 8 of 10
    # commands but called a tool for every open question (0 of 2 "none"), and the
    # router already answers the known commands. Point mode = "openai" at a real model.
    mode: str = "off"
    base_url: str = "http://127.0.0.1:8080/v1"
    model: str = ""  # "" = the server's default (llama.cpp); Ollama needs a name
    api_key_name: str = "llm_api_key"
    timeout_s: float = 30.0  # connect, and each wait for the next streamed chunk
    # after the first try, for 429 / 5xx / connection errors
    max_retries: int = field(default=2, metadata={"range": (0, None)})
    backoff_base_s: float = 0.5
    backoff_max_s: float = 8.0
    max_retry_wait_s: float = 10.0  # a longer Retry-After fails the request instead
    breaker_failures: int = 3  # consecutive failed requests that open the circuit
    breaker_cooldown_s: float = 30.0
    temperature: float = 0.2
    max_tokens: int = 256
    max_tool_rounds: int = 3
    history_turns: int = 8  # recent messages given to the model
    model_path: str = ""  # embedded: a GGUF file instead of the bundled SmolLM2
    n_ctx: int = 2048
    n_threads: int = 2

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"llm.mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"llm.base_url must start with http:// or https://, "
                             f"not {self.base_url!r}")
        positive = {"timeout_s": self.timeout_s, "max_tokens": self.max_tokens,
                    "breaker_failures": self.breaker_failures, "n_ctx": self.n_ctx,
                    "n_threads": self.n_threads, "max_tool_rounds": self.max_tool_rounds}
        bad = [k for k, v in positive.items() if v <= 0]
        bad += [k for k, v in {"max_retries": self.max_retries,
                               "backoff_base_s": self.backoff_base_s,
                               "backoff_max_s": self.backoff_max_s,
                               "max_retry_wait_s": self.max_retry_wait_s,
                               "breaker_cooldown_s": self.breaker_cooldown_s,
                               "history_turns": self.history_turns,
                               "temperature": self.temperature}.items() if v < 0]
        if bad:
            raise ValueError(f"llm.{bad[0]} is out of range")


@dataclass(frozen=True)
class LlmToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it

    def args(self) -> dict[str, Any]:
        """The arguments as a dict; LlmError(llm.bad_tool_args) if they are not one."""
        try:
            value = json.loads(self.arguments) if self.arguments.strip() else {}
        except json.JSONDecodeError as err:
            raise LlmError("llm.bad_tool_args",
                           f"the model's arguments for {self.name} are not JSON: {err.msg}",
                           "") from err
        if not isinstance(value, dict):
            raise LlmError("llm.bad_tool_args",
                           f"the model's arguments for {self.name} are not an object")
        return value

    def to_message(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function",
                "function": {"name": self.name, "arguments": self.arguments}}


@dataclass(frozen=True)
class LlmResult:
    text: str
    tool_calls: tuple[LlmToolCall, ...] = ()
    finish_reason: str = ""


class ChatModel(Protocol):
    # False when the model cannot be trusted to read tool results and chain more
    # calls (the tiny embedded one): the turn then speaks the tools' own sentences.
    chains_tools: bool

    async def chat(self, messages: list[dict[str, Any]], tools: Sequence[dict[str, Any]] = (),
                   on_text: TextCallback | None = None,
                   tool_choice: str | dict[str, Any] | None = None) -> LlmResult:
        """One model response: streamed text (through on_text) and/or tool calls."""

    async def aclose(self) -> None: ...


def api_key(options: LlmOptions, data_dir: Path) -> str | None:
    """The API key: the secret store's `api_key_name`, else $HERON_LLM_API_KEY."""
    try:
        from assistant.secrets import SecretStore  # lazy: keyring backends are slow
    except ImportError:
        SecretStore = None  # noqa: N806
    if SecretStore is not None and options.api_key_name:
        key = SecretStore(data_dir).get(options.api_key_name)
        if key:
            return key
    return os.environ.get(API_KEY_ENV) or None


class _Retryable(Exception):
    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class OpenAiClient:
    """POST {base_url}/chat/completions with stream=true. Failures a retry can fix
    (429, 5xx, connection errors, timeouts) are retried with backoff, but only while
    no text has reached `on_text` yet; each request that still fails counts towards
    the circuit breaker, and while it is open requests fail at once (llm.circuit_open)."""

    chains_tools = True

    def __init__(self, options: LlmOptions, key: str | None = None,
                 breaker: CircuitBreaker | None = None) -> None:
        self.options = options
        self.breaker = breaker or CircuitBreaker(options.breaker_failures,
                                                 options.breaker_cooldown_s)
        self._key = key
        self._http: httpx.AsyncClient | None = None

    @property
    def url(self) -> str:
        return self.options.base_url.rstrip("/") + "/chat/completions"

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def chat(self, messages: list[dict[str, Any]], tools: Sequence[dict[str, Any]] = (),
                   on_text: TextCallback | None = None,
                   tool_choice: str | dict[str, Any] | None = None) -> LlmResult:
        if not self.breaker.allow():
            raise LlmError(
                "llm.circuit_open",
                f"the language model at {self.options.base_url} failed "
                f"{self.breaker.consecutive_failures} times in a row",
                f"it is tried again in {self.breaker.retry_in_s():.0f} s; "
                "check that the server is running")
        body = self._body(messages, tools, tool_choice)
        emitted = False

        def emit(delta: str) -> None:
            nonlocal emitted
            emitted = True
            if on_text is not None:
                on_text(delta)

        attempt = 0
        try:
            while True:
                try:
                    result = await self._request(body, emit)
                except _Retryable as err:
                    wait = (err.retry_after_s if err.retry_after_s is not None
                            else backoff_s(attempt, self.options.backoff_base_s,
                                           self.options.backoff_max_s))
                    if (emitted or attempt >= self.options.max_retries
                            or wait > self.options.max_retry_wait_s):
                        self.breaker.record_failure()
                        raise LlmError(
                            "llm.unavailable",
                            f"the language model at {self.options.base_url} is not "
                            f"answering: {err}",
                            "check that the server is running and llm.base_url in "
                            "config.toml") from err
                    log.info("LLM request failed (%s); retry %d in %.2f s", err,
                             attempt + 1, wait)
                    await asyncio.sleep(wait)
                    attempt += 1
                    continue
                except LlmError:
                    # The server answered, just not usefully: it is up, so the
                    # breaker's count of unanswered requests starts again.
                    self.breaker.record_success()
                    raise
                self.breaker.record_success()
                return result
        except asyncio.CancelledError:
            self.breaker.release()
            raise

    def _body(self, messages: list[dict[str, Any]], tools: Sequence[dict[str, Any]],
              tool_choice: str | dict[str, Any] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"messages": messages, "stream": True,
                                "temperature": self.options.temperature,
                                "max_tokens": self.options.max_tokens}
        if self.options.model:
            body["model"] = self.options.model
        if tools:
            body["tools"] = list(tools)
            if tool_choice is not None:
                body["tool_choice"] = tool_choice
        return body

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            t = self.options.timeout_s
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(t, connect=min(t, 10.0)))
        return self._http

    async def _request(self, body: dict[str, Any], emit: TextCallback) -> LlmResult:
        headers = {"Accept": "text/event-stream"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        try:
            async with self._client().stream("POST", self.url, json=body,
                                             headers=headers) as resp:
                if resp.status_code != 200:
                    detail = (await resp.aread()).decode("utf-8", "replace")[:300]
                    raise _status_error(resp.status_code, detail,
                                        resp.headers.get("retry-after"))
                return await _read_stream(_sse_data(resp.aiter_lines()), emit)
        except httpx.TimeoutException as err:
            raise _Retryable(f"no answer within {self.options.timeout_s:g} s") from err
        except httpx.TransportError as err:
            raise _Retryable(f"{type(err).__name__}: {err}") from err


def _status_error(status: int, detail: str, retry_after: str | None) -> Exception:
    if status == 429 or status >= 500:
        return _Retryable(f"HTTP {status}", parse_retry_after(retry_after))
    if status in (401, 403):
        return LlmError("llm.auth", f"the language model server refused the API key "
                        f"(HTTP {status})",
                        "store the right key as the secret named by llm.api_key_name")
    if status == 404:
        return LlmError("llm.not_found", f"no chat endpoint there (HTTP 404): {detail}",
                        "llm.base_url should end in /v1, and llm.model must exist")
    return LlmError("llm.rejected", f"the language model server rejected the request "
                    f"(HTTP {status}): {detail}", "check llm.model and the server's log")


async def _sse_data(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The data of each server-sent event (multi-line data joined with newlines)."""
    data: list[str] = []
    async for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        # other fields (event:, id:, retry:) and ":" comments carry nothing for us
    if data:
        yield "\n".join(data)


@dataclass
class _ToolCallParts:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


async def _read_stream(events: AsyncIterator[str], emit: TextCallback) -> LlmResult:
    text: list[str] = []
    calls: dict[int, _ToolCallParts] = {}
    finish = ""
    async for data in events:
        if data.strip() == "[DONE]":
            break
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError as err:
            raise LlmError("llm.bad_response", f"the server sent a chunk that is not JSON: "
                           f"{data[:80]!r}", "is llm.base_url an OpenAI-compatible "
                           "endpoint?") from err
        if isinstance(chunk, dict) and "error" in chunk:
            raise _Retryable(f"the server reported an error: {str(chunk['error'])[:200]}")
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                text.append(delta["content"])
                emit(delta["content"])
            for part in delta.get("tool_calls") or []:
                _add_tool_delta(calls, part)
            finish = choice.get("finish_reason") or finish
    tool_calls = tuple(LlmToolCall(p.id or f"call_{i}", p.name, "".join(p.arguments))
                       for i, p in sorted(calls.items()) if p.name)
    return LlmResult("".join(text), tool_calls, finish)


def _add_tool_delta(calls: dict[int, _ToolCallParts], part: dict[str, Any]) -> None:
    """Merge one streamed tool-call fragment. OpenAI sends id and name once, then
    argument pieces; llama.cpp's server repeats id and name in every fragment."""
    index = part.get("index")
    if index is None:  # some servers leave it out: a new id starts a new call
        known = [i for i, p in calls.items() if p.id == part.get("id")]
        index = known[0] if known else (len(calls) if part.get("id") or not calls
                                        else max(calls))
    slot = calls.setdefault(int(index), _ToolCallParts())
    slot.id = slot.id or part.get("id") or ""
    fn = part.get("function") or {}
    name = fn.get("name") or ""
    if name and name != slot.name:
        slot.name += name
    if fn.get("arguments"):
        slot.arguments.append(fn["arguments"])
