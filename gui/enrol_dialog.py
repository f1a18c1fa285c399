"""Enrol a wake word from the tray: a name, how many samples, then "say it now" for
each, as EnrolmentProgress events from the core arrive. The recording and building
happen in the core (assistant/voice/enrolment.py), on the microphone Heron already has open."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from assistant.events import EnrolmentProgress, EnrolmentStep


class EnrolDialog(QDialog):
    start_requested = Signal(str, int)  # name, samples

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Heron — enrol a wake word")
        self.name = QLineEdit("hey_heron")
        self.name.setAccessibleName("the new wake word's name")
        self.samples = QSpinBox()
        self.samples.setRange(3, 5)
        self.samples.setValue(3)
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("&Samples", self.samples)
        self.prompt = QLabel("Pick a short phrase (two or three syllables or more), then "
                             "press Start and say it each time Heron asks.")
        self.prompt.setWordWrap(True)
        self.prompt.setAccessibleName("what to do now")
        self.progress = QProgressBar()
        self.progress.setRange(0, 3)
        self.progress.setValue(0)
        self.start = QPushButton("&Start")
        self.start.setDefault(True)
        self.start.clicked.connect(self._start)
        close = QPushButton("&Close")
        close.clicked.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.prompt)
        layout.addWidget(self.progress)
        layout.addWidget(self.start)
        layout.addWidget(close)

    def _start(self) -> None:
        name = self.name.text().strip()
        self.start.setEnabled(False)
        self.progress.setRange(0, self.samples.value())
        self.progress.setValue(0)
        self.prompt.setText("Getting the microphone…")
        self.start_requested.emit(name, self.samples.value())

    def on_progress(self, event: EnrolmentProgress) -> None:
        self.prompt.setText(event.message)
        if event.step == EnrolmentStep.HEARD:
            self.progress.setValue(event.sample)
        elif event.step == EnrolmentStep.DONE:
            self.progress.setValue(self.progress.maximum())

    def finished_with(self, error: str | None) -> None:
        """The core's answer: None when the word was saved, else what went wrong."""
        self.start.setEnabled(True)
        if error is not None:
            self.prompt.setText(error)
