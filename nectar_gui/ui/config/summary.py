"""The "what this builds" panel: networks, parameter counts, D's view, rough memory.

The numbers come from ``core.describe.describe_config``, computed by a
:class:`DescribeWorker` off the UI thread; this module only formats them.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.formatting import format_bytes
from nectar_gui.ui.config.fields import named_label
from nectar_gui.workers.describe import DescribeWorker, Description

if TYPE_CHECKING:
    from nectar_gui.ui.config.editor import ConfigEditor

_STYLE = """
QLabel#summaryTitle { font-weight: 600; font-size: 14px; }
QLabel#summaryHeading { font-weight: 600; margin-top: 6px; }
QLabel#summaryStatus, QLabel#summaryNote { color: palette(placeholder-text); }
"""


def format_count(n: int) -> str:
    """Parameter counts as people say them: 11.4 M, 2.8 M, 930 k."""
    if n >= 1_000_000:
        return f"{n / 1e6:.1f} M"
    if n >= 1_000:
        return f"{n / 1e3:.0f} k"
    return str(n)


class BuildSummary(QFrame):
    """Shows what the current config builds, recomputed shortly after every change.

    Feed it with ``follow(editor)``, or ``set_config`` (None while the editor is invalid).
    ``shutdown()`` joins the worker thread; closing or deleting the panel does too (the
    worker's thread pool waits in its destructor).

    Args:
        delay_ms: Quiet time after the last change before recomputing.
    """

    def __init__(self, parent: QWidget | None = None, *, delay_ms: int = 250) -> None:
        super().__init__(parent)
        self._worker = DescribeWorker(self, delay_ms=delay_ms)
        self._shown: Description | None = None
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self.setObjectName("buildSummary")
        self._status = named_label("Waiting for a valid config…", "summaryStatus", wrap=True)
        self._networks = self._rich_label()
        self._discriminator = self._rich_label()
        self._memory = self._rich_label()
        self._memory_note = named_label(
            "Rough: fp32 weights, gradients and Adam state, plus the layer outputs kept "
            "for the backward pass at the peak of a step. Not counted: the CUDA context "
            "(a few hundred MB), cuDNN workspaces and data loading.",
            "summaryNote", wrap=True)
        self._body = QWidget()  # hidden until the first numbers arrive
        body = QVBoxLayout(self._body)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(4)
        for heading, widget in (("Networks", self._networks),
                                ("Discriminator's view", self._discriminator),
                                ("Training memory (rough)", self._memory)):
            body.addWidget(named_label(heading, "summaryHeading"))
            body.addWidget(widget)
        body.addWidget(self._memory_note)
        self._body.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        layout.addWidget(named_label("What this builds", "summaryTitle"))
        layout.addWidget(self._status)
        layout.addWidget(self._body)
        layout.addStretch(1)
        self.setStyleSheet(_STYLE)

    def _rich_label(self) -> QLabel:
        label = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _connect(self) -> None:
        self._worker.started.connect(self._on_worker_started)
        self._worker.measuring.connect(self._on_worker_measuring)
        self._worker.described.connect(self._on_worker_described)
        self._worker.failed.connect(self._on_worker_failed)

    # ---- public API -------------------------------------------------------------------------
    def set_config(self, config: NectarConfig | None) -> None:
        """Describe ``config`` soon; None (an invalid config) clears the numbers."""
        if config is None:
            self._worker.cancel()
            self._status.setText("Fix the highlighted settings to see what this builds.")
            self._status.show()
            self._show_numbers(False)
        else:
            self._worker.request(config)

    def follow(self, editor: ConfigEditor) -> None:
        """Describe ``editor``'s config now and after every change."""
        editor.config_changed.connect(self.set_config)
        editor.validity_changed.connect(self._on_editor_validity_changed)
        self.set_config(editor.config())

    def plain_text(self) -> str:
        """Everything the panel shows, as plain text (for tests and copying)."""
        labels = [self._status] if self._body.isHidden() else \
            [self._status, self._networks, self._discriminator, self._memory]
        parts = [label.text() for label in labels if not label.isHidden()]
        return "\n".join(_strip_tags(part) for part in parts)

    def description(self) -> Description | None:
        """The description shown, or None."""
        return self._shown

    def is_busy(self) -> bool:
        """Whether a description is waiting or being computed."""
        return self._worker.is_busy()

    def shutdown(self) -> None:
        """Stop pending work and join the worker's thread."""
        self._worker.wait()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Join the worker before the panel goes away."""
        self.shutdown()
        super().closeEvent(event)

    # ---- slots ------------------------------------------------------------------------------
    def _on_editor_validity_changed(self, valid: bool) -> None:
        if not valid:
            self.set_config(None)

    def _on_worker_started(self, loading_torch: bool) -> None:
        if loading_torch:
            self._status.setText("Loading PyTorch… (first time only, a few seconds)")
            self._status.show()

    def _on_worker_measuring(self) -> None:
        # PyTorch is in: say what takes the time now, as the status bar says it loaded.
        if self._status.isVisible() and self._status.text().startswith("Loading PyTorch"):
            self._status.setText("Building the networks to count them…")

    def _on_worker_described(self, description: Description) -> None:
        self._shown = description
        info, config = description.info, description.config
        self._networks.setText(_networks_html(info))
        self._discriminator.setText(_discriminator_html(info, config))
        self._memory.setText(_memory_html(info["memory"], config))
        self._status.hide()
        self._body.show()
        self._show_numbers(True)

    def _on_worker_failed(self, message: str) -> None:
        self._status.setText(message)
        self._status.show()
        self._show_numbers(False)

    def _show_numbers(self, shown: bool) -> None:
        for label in (self._networks, self._discriminator, self._memory, self._memory_note):
            label.setEnabled(shown)  # stale numbers stay, greyed, until new ones arrive


def _networks_html(info: dict[str, Any]) -> str:
    # Networks with the same build (CycleGAN's two generators, mostly) share one row.
    groups: dict[tuple[str, int], list[str]] = {}
    for name, net in info["networks"].items():
        groups.setdefault((net["description"], net["parameters"]), []).append(name)
    rows = "".join(
        f"<tr><td><b>{html.escape(', '.join(names))}</b>&nbsp;&nbsp;</td>"
        f"<td>{html.escape(description)}&nbsp;&nbsp;</td>"
        f"<td align='right'>{_times(len(names))}{format_count(params)}</td></tr>"
        for (description, params), names in groups.items())
    total = (f"<tr><td colspan='2'><b>Total</b></td>"
             f"<td align='right'><b>{format_count(info['total_parameters'])}</b></td></tr>")
    return f"<table cellspacing='0' cellpadding='1'>{rows}{total}</table>"


def _times(n: int) -> str:
    return f"{n}&nbsp;×&nbsp;" if n > 1 else ""


def _discriminator_html(info: dict[str, Any], config: NectarConfig) -> str:
    d = info["discriminator"]
    rf, crop = d["receptive_field"], d["crop_size"]
    grid_h, grid_w = d["output_grid"]
    if config.model.discriminator == "pixel":
        arch = "PixelGAN"
    else:
        arch = f"PatchGAN, n_layers {config.model.d_layers} (reference count)"
    lines = [f"{arch} → <b>{rf}×{rf}</b> px receptive field",
             f"Jump {d['jump']} px between neighbouring cells",
             f"<b>{grid_h}×{grid_w}</b> patch grid at the {crop}×{crop} crop"]
    if grid_h == 0:
        lines[-1] = (f"<span style='color:#c62828'>The {crop}×{crop} crop is smaller than "
                     f"D's input needs: no output cells. Use a larger crop or fewer "
                     f"layers.</span>")
    return "<br>".join(lines)


def _memory_html(memory: dict[str, int] | None, config: NectarConfig) -> str:
    if memory is None:
        return "Not estimated: the discriminator produces no output at this crop size."
    state = memory["weights"] + memory["gradients"] + memory["adam_state"]
    # auto is bf16 only on a CUDA card: the estimate (and so the label) takes fp32.
    precision = "fp32" if config.runtime.precision == "auto" else config.runtime.precision
    rows = [("Weights, gradients, Adam state", format_bytes(state)),
            (f"Activations at batch {config.optim.batch_size}, {precision}",
             format_bytes(memory["activations"])),
            ("<b>Total per device</b>", f"<b>≈ {format_bytes(memory['total'])}</b>")]
    cells = "".join(f"<tr><td>{name}&nbsp;&nbsp;</td><td align='right'>{value}</td></tr>"
                    for name, value in rows)
    return f"<table cellspacing='0' cellpadding='1'>{cells}</table>"


def _strip_tags(text: str) -> str:
    plain = re.sub(r"</td>", "  ", re.sub(r"<br\s*/?>|</tr>", "\n", text))
    return html.unescape(re.sub(r"<[^>]+>", "", plain))
