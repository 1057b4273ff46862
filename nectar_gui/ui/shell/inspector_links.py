"""The ways into the Inspector from other tabs: double-click a training sample, or an
evaluated image (what that checkpoint's D makes of the generator's output for it)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QTabWidget

from nectar_gui.ui.evaluate.requests import InspectRequest, generator_input
from nectar_gui.ui.evaluate.tab import EvaluateTab
from nectar_gui.ui.inspector import InspectorTab
from nectar_gui.ui.shell.log_panel import LogPanel
from nectar_gui.ui.training.view import TrainingView


def link_evaluate_to_inspector(evaluate: EvaluateTab, inspector: InspectorTab,
                               tabs: QTabWidget, *, cache: Path, log: LogPanel) -> None:
    """Connect ``evaluate``'s double-clicks to ``inspector``'s Ask D.

    Args:
        cache: where the input half of a side-by-side dataset image is written once.
    """

    def on_inspect(request: InspectRequest) -> None:
        try:
            image = generator_input(request, cache)
        except OSError as exc:
            log.append_message(f"Cannot open {request.name} in the Inspector: {exc}",
                               "warning")
            return
        inspector.ask_about(request.checkpoint, image, translate=True)
        tabs.setCurrentWidget(inspector)

    evaluate.inspect_requested.connect(on_inspect)


def link_samples_to_inspector(training: TrainingView, inspector: InspectorTab,
                              tabs: QTabWidget) -> None:
    """Double-click an image of the shown training sample: inspect D's map of it."""

    def on_image_activated(name: str) -> None:
        view = training.sample_view
        sample = view.current_sample()
        if sample is not None:
            inspector.show_sample(sample, name, live=view.is_live())
            tabs.setCurrentWidget(inspector)

    training.sample_view.image_activated.connect(on_image_activated)
