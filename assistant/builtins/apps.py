"""Built-in tools open_app and open_url, through the `apps.launch` backend
(assistant.builtins.desktop.AppLauncher). open_url hands the address to the user's
browser: the browser, not Heron, goes on the network, so no net: scope is needed."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from assistant.builtins.desktop import normalize_url
from assistant.tools.manifest import ToolManifest

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext


# "start from 'make the glaze'", "run over the list": words no app's name starts with
_NOT_FIRST = ("from", "at", "over", "with", "by", "into", "about", "where", "again")


class OpenApp:
    manifest = ToolManifest(
        name="open_app", title="Open an app", builtin=True, effects="write",
        description="Start an installed desktop application by name (as in the app "
                    "menu; close spellings are matched).",
        permissions=("apps.launch",), timeout_s=10,
        input_schema={
            "type": "object", "additionalProperties": False, "required": ["name"],
            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100,
                                    "x-slot": "app", "x-not-first-words": _NOT_FIRST}},
        },
        output_schema={"type": "object", "properties": {"app": {"type": "object"}}},
        examples=("open {name}", "launch {name}", "open up {name}", "start the {name} app",
                  "launch the {name} app", "open the {name} app", "run the {name} app",
                  "fire up the {name}", "bring up the {name}", "start {name}",
                  "start up {name}", "run {name}", "load up {name}", "get {name} going",
                  "i want to use the {name}", "pull up the {name}",
                  "i would like to use the {name} app",
                  "open the {name}", "start the program {name}", "open the program {name}",
                  "open the {name} application", "launch the program {name}", "boot up {name}",
                  "open {name} for me",
                  "switch to {name}", "start the {name} application"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        launcher = ctx.caps.backend("apps.launch")
        launched = await asyncio.to_thread(launcher.launch, args["name"])
        return {"app": launched.to_dict(), "speech": f"Opening {launched.name}."}


class OpenUrl:
    manifest = ToolManifest(
        name="open_url", title="Open a web page", builtin=True, effects="write",
        description="Open a web address (http or https) in the user's browser. Other "
                    "kinds of links (file:, javascript:, …) are refused.",
        permissions=("apps.launch",), timeout_s=10,
        input_schema={
            "type": "object", "additionalProperties": False, "required": ["url"],
            "properties": {"url": {"type": "string", "minLength": 1, "maxLength": 2048,
                                   "x-slot": "url"}},
        },
        output_schema={"type": "object", "properties": {"url": {"type": "string"}}},
        examples=("open the website {url}", "go to {url}", "open the link {url}",
                  "browse to {url}", "open the page {url}", "open {url} in the browser",
                  "navigate to {url}", "take me to {url}", "head over to {url}",
                  "visit {url}", "pull up the website {url}", "load {url}",
                  "bring up {url}", "open {url}", "go on {url}",
                  "load the website {url}", "browse {url}", "open the site {url}",
                  "pull up {url}", "can you open {url}", "open up {url}",
                  "go to the website {url}"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        url = normalize_url(args["url"])  # refused before any program runs
        launcher = ctx.caps.backend("apps.launch")
        launched = await asyncio.to_thread(launcher.open_url, url)
        host = url.split("://", 1)[1].split("/", 1)[0]
        return {"url": url, "opener": launched.app_id, "pid": launched.pid,
                "speech": f"Opening {host} in your browser."}
