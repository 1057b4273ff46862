"""The discriminator inspector: D's patch scores over the image, cell by cell."""

from nectar_gui.ui.inspector.overlay_view import PatchOverlayView
from nectar_gui.ui.inspector.tab import TAB_TIP, InspectorTab

__all__ = ["TAB_TIP", "InspectorTab", "PatchOverlayView"]
