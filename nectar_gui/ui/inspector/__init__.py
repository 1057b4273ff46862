"""The discriminator inspector: D's patch scores over the image, cell by cell."""

from nectar_gui.ui.inspector.inspector_tab import InspectorTab
from nectar_gui.ui.inspector.overlay_view import PatchOverlayView

__all__ = ["InspectorTab", "PatchOverlayView"]
