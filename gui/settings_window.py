"""Settings: audio (device, live level meter), wake word, voice, recognition, LLM,
permissions (remembered answers, revoke), privacy (redaction, screen exclusions,
autostart, hotkey). Every change is emitted at once as a nested patch
(`changed({"wake": {"threshold": 0.6}})`); gui/windows.py saves it to config.toml and
applies it to the running core. Qt widgets only: no file or core access here."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from assistant.config import HeronConfig
from assistant.languages import language_name
from audio.wake_options import commercial_use
from gui.level_probe import LevelProbe

WAKE_WORDS = ("okay_nabu", "hey_jarvis", "alexa", "hey_mycroft", "hey_rhasspy")
ASR_MODELS = ("whisper-tiny.en", "whisper-base")
LLM_MODES = ("off", "openai", "embedded")
# [asr] language choices: "" English only (tiny.en), "auto" detect, or one language
LANGUAGES = ("", "auto", "en", "de", "fr", "es", "ar", "it", "nl", "pt", "pl", "tr", "ru",
             "uk", "he", "fa", "hi", "ja", "zh")


class SettingsWindow(QWidget):
    changed = Signal(dict)  # a nested patch of config.toml
    revoke_requested = Signal(str)  # a tool's remembered answers
    autostart_toggled = Signal(bool)
    enrol_requested = Signal()
    pair_requested = Signal()

    def __init__(self, config: HeronConfig, devices: list[Any], enrolled: list[str],
                 grants: list[dict[str, Any]], autostart: bool, hotkey_status: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Heron — settings")
        self.resize(560, 420)
        self.tabs = QTabWidget()
        self.probe = LevelProbe()
        self.tabs.addTab(self._audio(config, devices), "&Audio")
        self.tabs.addTab(self._wake(config, enrolled), "&Wake word")
        self.tabs.addTab(self._voice(config), "&Voice")
        self.tabs.addTab(self._asr(config), "&Recognition")
        self.tabs.addTab(self._llm(config), "&LLM")
        self.tabs.addTab(self._permissions(grants), "&Permissions")
        self.tabs.addTab(self._privacy(config, autostart, hotkey_status), "Pri&vacy")
        self.tabs.addTab(self._phone(config), "P&hone")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        self.status = QLabel("Changes apply at once and are saved to config.toml.")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self._meter_timer = QTimer(self)
        self._meter_timer.setInterval(100)
        self._meter_timer.timeout.connect(self._show_level)

    # -- tabs ---------------------------------------------------------------------------
    def _audio(self, config: HeronConfig, devices: list[Any]) -> QWidget:
        page, form = _page()
        self.input_device = QComboBox()
        self.input_device.addItem("System default", "")
        for d in devices:
            if d.inputs > 0:
                self.input_device.addItem(f"{d.name} ({d.host_api})", d.name)
        _select(self.input_device, config.audio.input_device)
        self.input_device.currentIndexChanged.connect(self._device_changed)
        form.addRow("&Microphone", self.input_device)
        self.meter = QProgressBar()
        self.meter.setRange(-60, 0)
        self.meter.setFormat("%v dBFS")
        self.meter.setValue(-60)
        self.meter_note = QLabel("")
        form.addRow("Level", self.meter)
        form.addRow("", self.meter_note)
        if not any(d.inputs > 0 for d in devices):
            self.meter_note.setText("No input device: connect a microphone (see `heron "
                                    "devices`).")
        return page

    def _wake(self, config: HeronConfig, enrolled: list[str]) -> QWidget:
        page, form = _page()
        self.wake_enabled = QCheckBox("Listen for the wake word")
        self.wake_enabled.setChecked(config.wake.enabled)
        self.wake_enabled.toggled.connect(lambda v: self._emit({"wake": {"enabled": v}}))
        form.addRow(self.wake_enabled)
        self.wake_model = QComboBox()
        for name in WAKE_WORDS:
            free = commercial_use(name, config.wake.engines_for(name))
            self.wake_model.addItem(name.replace("_", " ") + ("" if free else
                                                              " (non-commercial)"), name)
        for name in enrolled:
            self.wake_model.addItem(name.replace("_", " "), name)
        self.wake_model.setToolTip("okay nabu's models allow commercial use; openWakeWord's "
                                   "hey jarvis, alexa, hey mycroft and hey rhasspy are for "
                                   "non-commercial use only (CC BY-NC-SA 4.0)")
        _select(self.wake_model, config.wake.model)
        self.wake_model.currentIndexChanged.connect(
            lambda _i: self._emit({"wake": {"model": self.wake_model.currentData()}}))
        form.addRow("&Word", self.wake_model)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.05, 0.99)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(config.wake.tuning_for(config.wake.model).threshold)
        self.threshold.setToolTip("Higher: fewer false wake-ups, more missed ones")
        self.threshold.editingFinished.connect(
            lambda: self._emit({"wake": {"threshold": round(self.threshold.value(), 2)}}))
        form.addRow("&Threshold", self.threshold)
        self.enrolled = QListWidget()
        self.enrolled.addItems(enrolled or ["(none yet)"])
        form.addRow("Your words", self.enrolled)
        enrol = QPushButton("&Enrol a word…")
        enrol.clicked.connect(self.enrol_requested.emit)
        form.addRow("", enrol)
        return page

    def _voice(self, config: HeronConfig) -> QWidget:
        page, form = _page()
        self.voice = QComboBox()
        self.voice.addItem("Joe (US English)", "piper-joe-medium")
        _select(self.voice, config.tts.voice)
        form.addRow("V&oice", self.voice)
        self.speed = QDoubleSpinBox()
        self.speed.setRange(0.5, 2.0)
        self.speed.setSingleStep(0.1)
        self.speed.setValue(1.0 / config.tts.length_scale)
        self.speed.setSuffix("×")
        self.speed.editingFinished.connect(
            lambda: self._emit({"tts": {"length_scale": round(1.0 / self.speed.value(), 3)}}))
        form.addRow("&Speed", self.speed)
        return page

    def _asr(self, config: HeronConfig) -> QWidget:
        page, form = _page()
        self.asr_model = QComboBox()
        for name in ASR_MODELS:
            self.asr_model.addItem(name, name)
        _select(self.asr_model, config.asr.model)
        self.asr_model.currentIndexChanged.connect(
            lambda _i: self._emit({"asr": {"model": self.asr_model.currentData()}}))
        form.addRow("&Model", self.asr_model)
        form.addRow(QLabel("tiny.en: English, fastest. base: many languages, slower."))
        self.language = QComboBox()
        for code in LANGUAGES:
            self.language.addItem(_language_label(code), code)
        if self.language.findData(config.asr.language) < 0:
            self.language.addItem(_language_label(config.asr.language), config.asr.language)
        _select(self.language, config.asr.language)
        self.language.currentIndexChanged.connect(
            lambda _i: self._emit({"asr": {"language": self.language.currentData()}}))
        form.addRow("&Language", self.language)
        voices = QLabel("Heron answers in the language you spoke: English with the Joe "
                        "voice, other languages with espeak-ng (robotic: no neural voice "
                        "for them ships in a package yet). Any language but English uses "
                        "whisper base.")
        voices.setWordWrap(True)
        form.addRow(voices)
        return page

    def _llm(self, config: HeronConfig) -> QWidget:
        page, form = _page()
        self.llm_mode = QComboBox()
        for mode in LLM_MODES:
            self.llm_mode.addItem(mode, mode)
        _select(self.llm_mode, config.llm.mode)
        self.llm_mode.currentIndexChanged.connect(
            lambda _i: self._emit({"llm": {"mode": self.llm_mode.currentData()}}))
        form.addRow("&Mode", self.llm_mode)
        self.llm_url = QLineEdit(config.llm.base_url)
        self.llm_url.editingFinished.connect(
            lambda: self._emit({"llm": {"base_url": self.llm_url.text().strip()}}))
        form.addRow("&Endpoint", self.llm_url)
        self.llm_model = QLineEdit(config.llm.model)
        self.llm_model.editingFinished.connect(
            lambda: self._emit({"llm": {"model": self.llm_model.text().strip()}}))
        form.addRow("M&odel name", self.llm_model)
        form.addRow(QLabel("The API key is kept in the keyring: `heron llm key`."))
        return page

    def _permissions(self, grants: list[dict[str, Any]]) -> QWidget:
        page, form = _page()
        self.grants = QListWidget()
        self.set_grants(grants)
        form.addRow(QLabel("What you told Heron to always allow or always deny:"))
        form.addRow(self.grants)
        revoke = QPushButton("&Revoke the selected tool's answers")
        revoke.clicked.connect(self._revoke)
        form.addRow(revoke)
        return page

    def _privacy(self, config: HeronConfig, autostart: bool, hotkey_status: str) -> QWidget:
        page, form = _page()
        v = config.vision
        self.redact = QCheckBox("Mask passwords, keys, tokens, cards and IBANs read off the "
                                "screen")
        self.redact.setChecked(v.redact)
        self.redact.toggled.connect(lambda on: self._emit({"vision": {"redact": on}}))
        form.addRow(self.redact)
        self.exclude_titles = QLineEdit(", ".join(v.exclude_titles))
        self.exclude_titles.setPlaceholderText("KeePassXC, Bank")
        self.exclude_titles.editingFinished.connect(
            lambda: self._emit({"vision": {"exclude_titles": _words(self.exclude_titles)}}))
        form.addRow("Never capture windows titled", self.exclude_titles)
        self.exclude_classes = QLineEdit(", ".join(v.exclude_classes))
        self.exclude_classes.editingFinished.connect(
            lambda: self._emit({"vision": {"exclude_classes": _words(self.exclude_classes)}}))
        form.addRow("…or of class", self.exclude_classes)
        self.autostart = QCheckBox("Start Heron when I log in")
        self.autostart.setChecked(autostart)
        self.autostart.toggled.connect(self.autostart_toggled.emit)
        form.addRow(self.autostart)
        self.hotkey = QLineEdit(config.desktop.hotkey)
        self.hotkey.editingFinished.connect(
            lambda: self._emit({"desktop": {"hotkey": self.hotkey.text().strip()}}))
        form.addRow("Push-to-talk &hotkey", self.hotkey)
        self.hotkey_status = QLabel(hotkey_status)
        self.hotkey_status.setWordWrap(True)
        form.addRow("", self.hotkey_status)
        return page

    def _phone(self, config: HeronConfig) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        on = config.companion.enabled
        box.addWidget(QLabel("The phone companion is " + ("on." if on else
                             "off: set [companion] enabled = true, or run `heron serve`.")))
        pair = QPushButton("&Pair a phone…")
        pair.clicked.connect(self.pair_requested.emit)
        box.addWidget(pair)
        self.qr = QLabel("")
        self.qr.setAccessibleName("pairing QR code")
        self.pair_info = QLabel("")
        self.pair_info.setWordWrap(True)
        self.pair_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(self.qr)
        box.addWidget(self.pair_info)
        box.addStretch(1)
        return page

    def show_pairing(self, png: bytes, text: str) -> None:
        pixmap = QPixmap()
        pixmap.loadFromData(png, "PNG")
        self.qr.setPixmap(pixmap)
        self.qr.setFixedSize(pixmap.size())
        self.pair_info.setText(text)

    # -- behaviour ----------------------------------------------------------------------
    def set_grants(self, grants: list[dict[str, Any]]) -> None:
        self.grants.clear()
        for g in grants:
            self.grants.addItem(f"{g['tool']} — {g['answer']} ({g['scope']})")
        if not grants:
            self.grants.addItem("(nothing remembered)")

    def show_result(self, text: str) -> None:
        self.status.setText(text)

    def add_enrolled(self, name: str) -> None:
        """A word just enrolled: listed, and offered as the wake word."""
        if self.enrolled.count() == 1 and self.enrolled.item(0).text() == "(none yet)":
            self.enrolled.clear()
        if not self.enrolled.findItems(name, Qt.MatchFlag.MatchExactly):
            self.enrolled.addItem(name)
        if self.wake_model.findData(name) < 0:
            self.wake_model.blockSignals(True)  # adding an entry is not choosing it
            self.wake_model.addItem(name.replace("_", " "), name)
            self.wake_model.blockSignals(False)

    def _revoke(self) -> None:
        item = self.grants.currentItem()
        if item is not None and " — " in item.text():
            self.revoke_requested.emit(item.text().split(" — ", 1)[0])

    def _emit(self, patch: dict[str, Any]) -> None:
        self.changed.emit(patch)

    def _device_changed(self, _index: int) -> None:
        name = self.input_device.currentData()
        self._emit({"audio": {"input_device": name}})
        self._start_probe()

    def _start_probe(self) -> None:
        problem = self.probe.start(self.input_device.currentData() or "")
        self.meter_note.setText(problem or "Speak: the bar follows your voice.")
        if not problem:
            self._meter_timer.start()

    def _show_level(self) -> None:
        self.meter.setValue(int(max(-60.0, min(0.0, self.probe.level_dbfs))))

    def showEvent(self, event) -> None:  # noqa: N802  (Qt's name)
        super().showEvent(event)
        self._start_probe()

    def hideEvent(self, event) -> None:  # noqa: N802
        self._meter_timer.stop()
        self.probe.stop()
        super().hideEvent(event)


def _page() -> tuple[QWidget, QFormLayout]:
    page = QWidget()
    return page, QFormLayout(page)


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)


def _language_label(code: str) -> str:
    if code == "":
        return "English only (fastest)"
    if code == "auto":
        return "Detect it each time"
    return f"{language_name(code)} ({code})"


def _words(edit: QLineEdit) -> list[str]:
    return [w.strip() for w in edit.text().split(",") if w.strip()]
