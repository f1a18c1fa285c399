"""Enrolling a wake word in the running Heron (the tray's Settings, or a later `heron`
over the instance socket): the voice loop pauses, the microphone it already has open
records the samples, and the word is built and saved where `heron wake` keeps them.
Progress goes out as EnrolmentProgress events."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from assistant.events import EnrolmentProgress, EnrolmentStep
from audio.enroll import EnrollError, build, check_new_word, record_clip, spoken_form
from audio.wake import WakeWordDetector
from models.catalog import specs_for_role
from models.errors import CodedError

if TYPE_CHECKING:
    from assistant.service import HeronService

SAMPLE_TIMEOUT_S = 30.0  # per sample, on top of record_clip's 10 s of no speech


async def enrol_wake_word(service: HeronService, name: str, samples: int = 3,
                          force: bool = False) -> dict[str, Any]:
    """Record `samples` spoken samples of `name` and save the word; its summary."""
    folder = service.paths.wake_dir
    builtin = [s.id for s in specs_for_role("wake")]
    publish = service.bus.publish
    try:
        check_new_word(name, folder, builtin, force, samples)
        clips = []
        async with service.voice_paused() as mic:
            for i in range(1, samples + 1):
                publish(EnrolmentProgress(name, EnrolmentStep.SAY, i, samples,
                                          f"Say “{spoken_form(name)}” now ({i} of {samples})"))
                try:
                    clip = await asyncio.wait_for(
                        record_clip(mic, service.stack.vad, f"sample {i}"), SAMPLE_TIMEOUT_S)
                except TimeoutError as err:
                    raise EnrollError("enroll.no_speech", f"heard nothing for sample {i}",
                                      "check the microphone in Settings → Audio") from err
                clips.append(clip)
                publish(EnrolmentProgress(name, EnrolmentStep.HEARD, i, samples, "Got it."))
        publish(EnrolmentProgress(name, EnrolmentStep.BUILDING, samples, samples,
                                  "Building the wake word…"))
        # the running detector's feature models when it has them (never load it here)
        loaded = service.stack.wake if service.stack.loaded("wake") else None
        features = loaded.features if isinstance(loaded, WakeWordDetector) else None
        # On the frames thread, which owns the wake word's feature models.
        word = await service.stack.on_frames(_build_and_save, name, clips, folder, features,
                                             service.stack.store)
    except CodedError as err:
        publish(EnrolmentProgress(name, EnrolmentStep.FAILED, message=err.sentence()))
        raise
    publish(EnrolmentProgress(name, EnrolmentStep.DONE, samples, samples,
                              f"Enrolled {name}. Choose it under Wake word to use it."))
    return {"name": name, "samples": samples, "path": str(folder / f"{name}.npz"),
            "distance_threshold": round(word.distance_threshold, 4)}


def _build_and_save(name, clips, folder, features, store):
    if features is None:  # the wake word is off: its feature models are not loaded
        from audio.wake import WakeFeatures

        features = WakeFeatures(store)
    word = build(name, clips, features)
    word.save(folder)
    return word
