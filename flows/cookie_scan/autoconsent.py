"""DuckDuckGo's autoconsent, injected into a pass's pages, answered from Python.

The package (`@duckduckgo/autoconsent`, pinned in package.json, installed by `make
install` under node_modules/) ships a build for injection into Playwright pages
(`dist/autoconsent.playwright.js`) and its rules (`rules/rules.json`, the FULL set:
the compact set omits the opt-in steps and reports success on some accept passes
without clicking). The script runs in every frame and talks to us through
`window.autoconsentSendMessage`; each frame sends its own `init` and `eval` messages
and must be answered in that frame (`window.autoconsentReceiveMessage`).

We initialise every pass with `autoAction: null` and heuristics on: autoconsent
then detects the consent platform and the open popup and waits. The no-interaction
pass never tells it more; the accept and reject passes take the banner screenshot
first, then send `optIn` / `optOut` to the frame that found the popup. (Setting
`autoAction` would click before the screenshot.) The heuristic detector (for
banners no rule knows) implements only "click the one button of my class": in
`reject` mode that is the reject button, in `tier2` mode a popup with no reject or
settings button gets its accept (or acknowledge) button clicked, through `optOut`.
So the accept pass runs the heuristics in `tier2` and asks a HEURISTIC-TIER* popup
for that click, and never clicks a HEURISTIC-REJECT popup's reject button.

What the page says through the binding is recorded, not trusted for verdicts: a
hostile page can call `autoconsentSendMessage` itself. The verdicts come from the
cookies and the TCF API.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, Frame

from flows.common.errors import PermanentError

log = logging.getLogger(__name__)

PACKAGE = "@duckduckgo/autoconsent"
SCRIPT = Path("dist/autoconsent.playwright.js")
RULES = Path("rules/rules.json")
MAX_INITS_PER_PASS = 200  # a page cannot make us ship the rules without end


class ConsentEngineMissing(PermanentError):
    """autoconsent is not installed where the repository expects it."""


def repository_root() -> Path:
    return Path(__file__).resolve().parents[2]


def pinned_version(root: Path) -> str:
    """The version package.json pins (the one `make install` installs)."""
    manifest = json.loads((root / "package.json").read_text())
    return manifest["dependencies"][PACKAGE]


@dataclass(frozen=True)
class ConsentEngine:
    """The injection script and the rules, read once per process."""

    version: str
    script: str
    main_rules: tuple[dict, ...]  # rules that may run in a top frame
    frame_rules: tuple[dict, ...]  # rules that may run in an iframe
    patterns: dict[str, re.Pattern | None]  # rule name -> compiled urlPattern

    def rules_for(self, url: str, main_frame: bool) -> list[dict]:
        """The rules that can match this frame (autoconsent filters the same way; sending
        only these keeps each frame's init answer small)."""
        rules = self.main_rules if main_frame else self.frame_rules
        chosen = []
        for rule in rules:
            name = rule.get("name", "")
            if name in self.patterns:
                pattern = self.patterns[name]
                if pattern is not None and not pattern.search(url):
                    continue
            chosen.append(rule)
        return chosen


@lru_cache(maxsize=2)
def load_engine(root: Path | None = None) -> ConsentEngine:
    """Read the package from `node_modules/` under the repository root, checking that it
    is the version package.json pins."""
    root = root or repository_root()
    package_dir = root / "node_modules" / PACKAGE
    wanted = pinned_version(root)
    try:
        installed = json.loads((package_dir / "package.json").read_text())["version"]
        script = (package_dir / SCRIPT).read_text()
        rules = json.loads((package_dir / RULES).read_text())["autoconsent"]
    except (OSError, ValueError, KeyError) as exc:
        raise ConsentEngineMissing(
            f"the consent engine {PACKAGE} {wanted} is not installed under "
            f"{package_dir.relative_to(root)} ({exc.__class__.__name__}: {exc}): run `make install`"
        ) from exc
    if installed != wanted:
        raise ConsentEngineMissing(
            f"{PACKAGE} {installed} is installed but package.json pins {wanted}: run `make install`"
        )
    main, frame, patterns = [], [], {}
    for rule in rules:
        context = rule.get("runContext") or {}
        if context.get("main", True):
            main.append(rule)
        if context.get("frame", False):
            frame.append(rule)
        if context.get("urlPattern"):
            try:
                patterns[rule["name"]] = re.compile(context["urlPattern"])
            except re.error:  # a JavaScript-only construct: let autoconsent decide
                patterns[rule["name"]] = None
    return ConsentEngine(installed, script, tuple(main), tuple(frame), patterns)


def engine_config(heuristic_mode: str) -> dict[str, Any]:
    """autoconsent's Config for a pass (see lib/types.ts). No automatic action: we
    trigger it ourselves after the screenshot. No prehiding: it would hide the banner
    from the screenshot."""
    return {
        "enabled": True,
        "autoAction": None,
        "disabledCmps": [],
        "enablePrehide": False,
        "enableCosmeticRules": True,
        "enableGeneratedRules": True,
        "enableHeuristicDetection": True,
        "heuristicMode": heuristic_mode,
        "detectRetries": 20,
        "isMainWorld": False,
        "prehideTimeout": 2000,
        "enablePopupMutationObserver": True,
        "visualTest": False,
        "performanceLoggingEnabled": False,
        "heuristicPopupSearchTimeout": 1000,
        "logs": {
            "lifecycle": False,
            "rulesteps": False,
            "detectionsteps": False,
            "evals": False,
            "errors": False,
            "messages": False,
            "waits": False,
        },
    }


@dataclass
class ConsentOutcome:
    """What autoconsent reported in one pass."""

    detected: list[str] = field(default_factory=list)  # cmpDetected, in order
    popup_cmp: str | None = None  # the platform whose popup was open
    action: str = "none"  # none | opt-in | opt-out | selector
    action_ok: bool | None = None
    self_test: bool | None = None
    done: bool = False
    errors: list[str] = field(default_factory=list)
    heuristic_patterns: list[str] = field(default_factory=list)

    @property
    def platform(self) -> str | None:
        return self.popup_cmp or (self.detected[0] if self.detected else None)


class ConsentSession:
    """autoconsent in one browser context (one pass). Runs on the browser loop."""

    def __init__(self, engine: ConsentEngine, heuristic_mode: str) -> None:
        self.engine = engine
        self.config = engine_config(heuristic_mode)
        self.outcome = ConsentOutcome()
        self.popup_frame: Frame | None = None
        self._popup = asyncio.Event()
        self._result = asyncio.Event()
        self._self_test = asyncio.Event()
        self._main_settled = asyncio.Event()  # nothing detected in the top frame, or done
        self._inits = 0
        self._tasks: set[asyncio.Task] = set()

    async def attach(self, context: BrowserContext) -> None:
        await context.expose_binding("autoconsentSendMessage", self._on_message)
        await context.add_init_script(self.engine.script)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- messages from the page ------------------------------------------------------

    def _on_message(self, source: dict, message: Any) -> None:
        if not isinstance(message, dict):
            return
        frame: Frame = source["frame"]
        kind = message.get("type")
        if kind == "init":
            url = str(message.get("url") or frame.url)
            if not url.startswith(("http://", "https://")):
                return  # about:blank before the first navigation: nothing to find there
            self._inits += 1
            if self._inits <= MAX_INITS_PER_PASS:
                main = frame.parent_frame is None
                rules = self.engine.rules_for(url, main)
                self._spawn(
                    _send(
                        frame,
                        {
                            "type": "initResp",
                            "config": self.config,
                            "rules": {"autoconsent": rules},
                        },
                    )
                )
        elif kind == "eval":
            self._spawn(_answer_eval(frame, message.get("id"), message.get("code")))
        elif kind == "cmpDetected":
            self.outcome.detected.append(str(message.get("cmp")))
        elif kind == "popupFound":
            if self.popup_frame is None:
                self.popup_frame = frame
                self.outcome.popup_cmp = str(message.get("cmp"))
            self._popup.set()
        elif kind in ("optInResult", "optOutResult"):
            self.outcome.action_ok = bool(message.get("result"))
            self._result.set()
        elif kind == "autoconsentDone":
            self.outcome.done = True
            self._result.set()
            self._main_settled.set()
        elif kind == "selfTestResult":
            self.outcome.self_test = bool(message.get("result"))
            self._self_test.set()
        elif kind == "autoconsentError":
            self.outcome.errors.append(json.dumps(message.get("details"), default=str)[:500])
        elif kind == "report":
            state = message.get("state") or {}
            if message.get("mainFrame"):
                patterns = state.get("heuristicPatterns") or []
                if patterns:
                    self.outcome.heuristic_patterns = [str(p) for p in patterns][:20]
                if state.get("lifecycle") in ("nothingDetected", "done"):
                    self._main_settled.set()

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- what the pass asks for ------------------------------------------------------

    async def wait_for_popup(self, timeout: float) -> bool:
        """Until a popup is found, or the top frame found nothing, or `timeout`."""
        popup = asyncio.ensure_future(self._popup.wait())
        settled = asyncio.ensure_future(self._main_settled.wait())
        try:
            await asyncio.wait({popup, settled}, timeout=timeout, return_when="FIRST_COMPLETED")
        finally:
            popup.cancel()
            settled.cancel()
        if not self._popup.is_set():
            # the top frame may settle before a slower iframe finds its popup
            await asyncio.sleep(0)
        return self._popup.is_set()

    async def act(self, want: str, timeout: float) -> None:
        """Ask the popup's frame to opt in (`want="opt-in"`) or out, and wait for its
        answer; then run the rule's self-test when it has one."""
        frame, cmp = self.popup_frame, self.outcome.popup_cmp or ""
        self.outcome.action = want
        if frame is None:
            self.outcome.action_ok = False
            return
        if cmp.startswith("HEURISTIC"):
            if want == "opt-in" and cmp == "HEURISTIC-REJECT":
                # the heuristic can only click this popup's reject button
                self.outcome.action_ok = False
                self.outcome.errors.append("heuristic popup offers no accept-only path")
                return
            message = {"type": "optOut"}  # the heuristic clicks its class's button
        else:
            message = {"type": "optIn" if want == "opt-in" else "optOut"}
        self._result.clear()
        self._spawn(_send(frame, message))
        try:
            await asyncio.wait_for(self._result.wait(), timeout)
        except TimeoutError:
            self.outcome.errors.append(f"no {want} result within {timeout:.0f}s")
            if self.outcome.action_ok is None:
                self.outcome.action_ok = False
            return
        if want == "opt-out" and self.outcome.action_ok:
            self._spawn(_send(frame, {"type": "selfTest"}))
            try:
                await asyncio.wait_for(self._self_test.wait(), timeout)
            except TimeoutError:
                self.outcome.errors.append("no self-test result")


async def _send(frame: Frame, message: dict) -> None:
    """Deliver a message in `frame`. As source text, not an evaluate argument: Playwright
    walks an argument value by value, which for the rules (hundreds of kB) costs seconds
    per frame; JSON is a JavaScript literal and parses in milliseconds."""
    payload = json.dumps(message, separators=(",", ":"))
    try:
        await frame.evaluate(
            "window.autoconsentReceiveMessage && window.autoconsentReceiveMessage(" + payload + ")"
        )
    except Exception as exc:  # the frame navigated or was detached: nothing to answer
        log.debug("autoconsent message not delivered: %s", str(exc)[:200])


async def _answer_eval(frame: Frame, message_id: Any, code: Any) -> None:
    try:
        result = await frame.evaluate(str(code))
    except Exception:
        result = False
    try:
        json.dumps(result)
    except (TypeError, ValueError):
        result = bool(result)
    await _send(frame, {"type": "evalResp", "id": message_id, "result": result})
