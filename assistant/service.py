"""The long-running assistant behind `heron run`: timers, the voice loop on the
microphone, and spoken announcements. Headless; the tray observes it via the bus."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from assistant.agent.agent import AgentReply
from assistant.bus import EventBus
from assistant.commands import CommandRefused, service_commands
from assistant.config import HeronConfig
from assistant.core import build_core
from assistant.desktop.hotkey import Hotkey, start_hotkey
from assistant.desktop.instance import InstanceServer, socket_path
from assistant.events import (
    AssistantState,
    CallSource,
    MicStateChanged,
    Reply,
    Stage,
    StageError,
    StateChanged,
)
from assistant.last_error import record_last_error
from assistant.live_config import Applied, apply_config
from assistant.paths import HeronPaths
from assistant.scheduling.service import Scheduler
from assistant.supervisor import back_off, supervised
from assistant.voice.feed import FrameFeed
from assistant.voice.loop import Toggled, VoiceLoop
from assistant.voice.pipeline import VoicePipeline
from assistant.voice.ports import TurnHandoff
from assistant.voice.speech_output import SpeechOutput
from assistant.voice.stack import NO_STAGES, VoiceStack, VoiceStages
from assistant.voice.state import StateOwner
from assistant.wyoming.satellite_options import with_satellite_words
from audio.echo import EchoCanceller, EchoReference
from audio.errors import DeviceError
from audio.mic import MicSource
from audio.mic_state import MicState
from audio.sink import ReplySpeaker
from models.errors import CodedError
from models.heap import release_free_memory
from models.store import ModelStore

log = logging.getLogger(__name__)
EARS_OPEN_WAIT_S = 5.0  # at start-up, announcements wait this long for the microphone
APOLOGY = "Sorry, something went wrong with that. Please try again."


class HeronService:
    def __init__(self, paths: HeronPaths, config: HeronConfig, store: ModelStore,
                 bus: EventBus | None = None, use_mic: bool = True,
                 serve_commands: bool = False, stages: VoiceStages = NO_STAGES) -> None:
        self.bus = bus or EventBus()
        self.paths = paths
        config = with_satellite_words(config)  # as a satellite, its wake words too
        self.core = build_core(paths, config, self.bus, store=store)
        self.stack = VoiceStack(config, self.core.store, paths.wake_dir, stages)
        self.config = config
        self.use_mic = use_mic
        self.mic_error: CodedError | None = None
        self.startup_ms: dict[str, float] = {}
        self.echo = EchoReference()  # everything the speaker plays, for echo removal
        self.mic: MicSource | None = None
        # The only publisher of StateChanged, and the one speaker every reply and
        # announcement is spoken through, in order (its rate is the main voice's,
        # known once the voice has loaded: the speaker is made on first use).
        self.status = StateOwner(self.bus, starting=True)
        self._output: SpeechOutput | None = None
        self._announcing: set[asyncio.Task] = set()
        # Set once the microphone hears (or there is none): the echo of a reply played
        # while the input stream is still starting could not be matched and removed.
        self._ears_open = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tg: asyncio.TaskGroup | None = None
        self._voice_task: asyncio.Task | None = None
        self._hotkey: Hotkey | None = None
        self._hotkey_lock = threading.Lock()
        self._hotkey_generation = 0  # restarts so far: a bind finishing late is dropped
        self.hotkey_status = "off"
        self.bus.subscribe(self._track_state, StateChanged)
        # Turn after turn on the microphone: push-to-talk, mute, lending it out.
        self.voice = VoiceLoop(self.status, self._turn_failed)
        # Later `heron` commands (`--toggle`, `ask`) reach this one over a local socket;
        # the tray adds its own ("show") before `run`.
        self.serve_commands = serve_commands
        self.commands = service_commands(self)
        # Home Assistant's voice satellite ([satellite]): the turns of its wake words
        # are Home Assistant's while it is connected (assistant/wyoming/satellite.py)
        self.satellite: TurnHandoff | None = None

    async def _connect_mcp(self) -> None:
        try:
            for err in await self.core.connect_mcp():
                log.warning("MCP server not used: %s", err)
        except Exception:  # a bug here must not end Heron: its tools are only missing
            log.exception("MCP servers could not be connected")

    async def run(self, stop: asyncio.Event, on_ready: Callable[[], None] | None = None) -> None:
        t0 = time.perf_counter()
        self._loop = asyncio.get_running_loop()
        try:
            await asyncio.gather(self.stack.load(wake=self.config.wake.enabled),
                                 self.core.warm_up())
            self.startup_ms["models_loaded"] = round((time.perf_counter() - t0) * 1000, 1)
            await asyncio.to_thread(release_free_memory)  # what loading and warm-up freed
            for problem in await self.core.start_workers():
                log.warning("worker not loaded: %s", problem)
            scheduler = Scheduler(self.core.timers, self.core.reminders, self.bus,
                                  announce=self.announce_soon)
            async with contextlib.AsyncExitStack() as edges, asyncio.TaskGroup() as tg:
                if self.serve_commands:
                    server = InstanceServer(socket_path(self.paths.data_dir), self.commands)
                    await server.start()
                    edges.push_async_callback(server.aclose)
                if self.config.satellite.enabled:  # the wyoming package only then
                    from assistant.wyoming.satellite_server import SatelliteServer

                    satellite = SatelliteServer(self)
                    await satellite.start()  # a bad or taken address fails here
                    edges.push_async_callback(satellite.aclose)
                    self.satellite = satellite.satellite
                self.restart_hotkey(self.config.desktop.hotkey)
                edges.callback(self.stop_hotkey)
                self._tg = tg
                # Each part runs supervised: one crashing is reported and restarted,
                # it never ends the TaskGroup (and with it Heron).
                tasks = [tg.create_task(self._supervised(Stage.SCHEDULER, fire),
                                        name=f"scheduler.{store}")
                         for store, fire in scheduler.loops().items()]
                if self.use_mic:
                    self._voice_task = tg.create_task(
                        self._supervised(Stage.VOICE, self._voice_loop), name="voice")
                if self.config.companion.enabled:  # FastAPI is imported only then
                    from assistant.companion.runtime import run_companion

                    tasks.append(tg.create_task(self._supervised(
                        Stage.COMPANION, lambda: run_companion(self, stop)), name="companion"))
                # External MCP servers join when they answer: one that is down must
                # not hold up the voice (its start timeout is 20 s).
                tasks.append(tg.create_task(self._connect_mcp(), name="mcp-servers"))
                self.startup_ms["ready"] = round((time.perf_counter() - t0) * 1000, 1)
                self.status.ready()  # waiting for the wake word (or a command)
                if on_ready:
                    on_ready()
                await stop.wait()
                self._tg = None
                for task in [*tasks, self._voice_task]:
                    if task is not None:
                        task.cancel()
        finally:
            if self._output is not None and self._output.sink is not None:
                self._output.sink.close()  # release the speaker
            self.stack.close()
            await self.core.aclose()

    @property
    def state(self) -> AssistantState:
        return self.status.state

    @property
    def output(self) -> SpeechOutput:
        """The speech output (made when first needed: the speaker plays at the rate of
        the main voice, which is known once it has loaded)."""
        if self._output is None:
            speaker = ReplySpeaker(self.config.audio, self.stack.tts.sample_rate_hz,
                                   self.echo)
            self._output = SpeechOutput(self.stack, self.bus, self.status, speaker)
        return self._output

    async def ask(self, text: str, source: CallSource = CallSource.TEXT) -> AgentReply:
        reply = await self.core.agent.handle(text, source=source)
        await self.announce(reply.text)
        return reply

    def hush(self) -> bool:
        """"Stop" typed or tapped: silence what is said now and what waits to be said
        (a reading, announcements); False when nothing is being said."""
        output = self._output
        if output is None or not output.busy:
            return False
        output.stop(drop_queued=True)
        return True

    def announce_soon(self, text: str) -> None:
        """Queue `text` to be spoken after what is already queued; returns at once, so
        a timer that fires while another is announced is reported on time."""
        task = asyncio.get_running_loop().create_task(self.announce(text))
        self._announcing.add(task)
        task.add_done_callback(self._announced)

    def _announced(self, task: asyncio.Task) -> None:
        self._announcing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("an announcement failed: %s", task.exception())

    async def announce(self, text: str) -> None:
        """Speak `text` through the speech output, after what it is saying now (a reply
        included); no speaker is not fatal."""
        if self.use_mic and not self._ears_open.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ears_open.wait(), EARS_OPEN_WAIT_S)
        try:
            await self.output.say(text)
        except DeviceError as err:
            log.info("not speaking %r: %s", text, err.message)

    async def apply_config(self, config: HeronConfig) -> Applied:
        """Settings changed while running: apply what changed (assistant/live_config.py)."""
        return await apply_config(self, config)

    async def restart_voice_loop(self) -> None:
        """Reopen the microphone (a new input device) and go on listening."""
        task, self._voice_task = self._voice_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self.use_mic and self._tg is not None:
            self._voice_task = self._tg.create_task(
                self._supervised(Stage.VOICE, self._voice_loop), name="voice")

    def restart_hotkey(self, spec: str) -> None:
        """(Re)bind the push-to-talk hotkey on a thread of its own: on Wayland the
        desktop may ask the user to confirm the binding, for up to 30 s."""
        with self._hotkey_lock:
            self._hotkey_generation += 1
            generation = self._hotkey_generation
            old, self._hotkey = self._hotkey, None
        self.hotkey_status = "starting" if spec else "off"

        def bind() -> None:
            if old is not None:
                old.stop()
            hotkey = start_hotkey(spec, self._hotkey_pressed)
            with self._hotkey_lock:
                current = generation == self._hotkey_generation
                if current:
                    self._hotkey = hotkey
                    self.hotkey_status = hotkey.status  # for the settings and the doctor
            if not current:  # a newer restart (or the shutdown) came first
                hotkey.stop()

        threading.Thread(target=bind, name="heron-hotkey", daemon=True).start()

    def stop_hotkey(self) -> None:
        with self._hotkey_lock:
            self._hotkey_generation += 1
            hotkey, self._hotkey = self._hotkey, None
        if hotkey is not None:
            hotkey.stop()

    def _track_state(self, event: StateChanged) -> None:
        loop = self._loop
        if event.state == AssistantState.IDLE and loop is not None and not loop.is_closed():
            # what the turn freed; events may be published on other threads
            loop.call_soon_threadsafe(loop.run_in_executor, None, release_free_memory)

    def _hotkey_pressed(self) -> None:
        """Called on the hotkey's thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.toggle_listening)

    def toggle_listening(self) -> Toggled:
        """Push-to-talk (assistant/voice/loop.py)."""
        if self.mic is None:
            return Toggled.NO_MIC
        return self.voice.toggle()

    async def set_muted(self, muted: bool) -> None:
        """The microphone kill switch: muting closes the input stream itself."""
        if self.mic is not None:
            await (self.mic.mute() if muted else self.mic.unmute())

    @contextlib.asynccontextmanager
    async def voice_paused(self) -> AsyncIterator[MicSource]:
        """The open microphone, lent out while the voice loop waits (one borrower at a
        time). Refused when there is none or it is muted."""
        mic = self.mic
        if mic is None:
            raise CommandRefused("instance.no_mic", "Heron has no microphone open",
                                 "connect one (or start Heron without --no-mic)")
        async with self.voice.lent():
            yield mic

    def _mic_state(self, state: MicState, device: str, detail: str) -> None:
        self.bus.publish(MicStateChanged(state=state, device=device, detail=detail))
        if state == MicState.LIVE:
            self._ears_open.set()
        self.voice.set_muted(state == MicState.MUTED)  # unmuted: open, live, lost, retrying

    async def _turn_failed(self, stage: Stage, err: Exception, failures: int) -> None:
        """One turn hit a bug: keep its traceback, say so (event, log, a spoken
        apology) and let the voice loop go on with the next turn."""
        path = await asyncio.to_thread(record_last_error, self.paths.cache_dir, err,
                                       f"voice turn, {stage} stage")
        where = f"details in {path}" if path is not None else "run with -v for details"
        message = err.message if isinstance(err, CodedError) else (
            f"the {stage} stage failed ({type(err).__name__}: {err})")
        # The traceback is in the file; on the terminal only with -v (never at the user).
        log.error("turn failed in the %s stage: %s (%s)", stage, message, where)
        log.debug("the failed turn", exc_info=err)
        self.bus.publish(StageError(stage=stage, code="turn.failed", message=message,
                                    hint=f"Heron goes on listening; {where}"))
        if failures == 1:  # once, not on every turn of a stage broken for good
            self.bus.publish(Reply(text=APOLOGY))
            try:
                await self.announce(APOLOGY)
            except Exception as exc:  # the broken stage may be speech itself
                log.error("could not say the apology: %s", exc)
        await back_off(failures)

    async def _supervised(self, name: Stage, run: Callable[[], Awaitable[None]]) -> None:
        await supervised(name, run, self.bus, self.paths.cache_dir)

    async def _voice_loop(self) -> None:
        try:
            mic = MicSource(self.config.audio, on_state=self._mic_state)
            await mic.open()
            self.mic = mic
        except DeviceError as err:
            self._ears_open.set()  # no microphone: nothing to wait for
            self.mic_error = err
            self.bus.publish(StageError(stage=Stage.AUDIO_IN, code=err.code, message=err.message,
                                        hint=err.hint))
            return
        pipeline = VoicePipeline(self.stack, self.core.agent, self.bus, self.output,
                                 handoff=self.satellite)
        await pipeline.listener.load()  # the end-of-turn model, before the first turn
        try:
            await self.voice.run(pipeline, FrameFeed(mic, EchoCanceller(self.echo)))
        finally:
            self.mic = None
            await mic.aclose()

