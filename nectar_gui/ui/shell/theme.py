"""Light and dark themes, following the system colour scheme unless the user picks one.

The app uses the Fusion style everywhere with palettes of its own: native styles on
Windows and macOS ignore much of a custom palette, and the Linux platform themes differ
in whether they provide a dark palette at all. One style and two palettes look the same
on every platform and in the offscreen screenshots. Widgets that paint with colours of
their own (the loss plot) read the palette and restyle on ``QEvent.PaletteChange``.
"""

from __future__ import annotations

import enum
import gc

from PySide6.QtCore import QObject, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

THEME_KEY = "view/theme"
STYLE = "Fusion"

_Role = QPalette.ColorRole
_Group = QPalette.ColorGroup
# Dark palette: neutral greys (no blue cast, so image colours are judged fairly) with a
# blue selection; disabled text is dimmed but still legible.
_DARK_ROLES = {
    _Role.Window: "#2d2d30", _Role.WindowText: "#e6e6e6", _Role.Base: "#1f1f22",
    _Role.AlternateBase: "#2a2a2e", _Role.ToolTipBase: "#3a3a3e", _Role.ToolTipText: "#e6e6e6",
    _Role.PlaceholderText: "#9a9a9a", _Role.Text: "#e6e6e6", _Role.Button: "#3a3a3e",
    _Role.ButtonText: "#e6e6e6", _Role.BrightText: "#ff6b6b", _Role.Light: "#55555b",
    _Role.Midlight: "#48484d", _Role.Mid: "#2a2a2d", _Role.Dark: "#1c1c1e",
    _Role.Shadow: "#000000", _Role.Highlight: "#3d7bd9", _Role.HighlightedText: "#ffffff",
    _Role.Link: "#6cb6ff", _Role.LinkVisited: "#b89cff",
}
_DARK_DISABLED = {
    _Role.WindowText: "#7f7f85", _Role.Text: "#7f7f85", _Role.ButtonText: "#7f7f85",
    _Role.Highlight: "#505056", _Role.HighlightedText: "#b0b0b0",
}


class Theme(enum.Enum):
    """What the user chose in View → Theme."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


def light_palette() -> QPalette:
    """Fusion's own light palette (independent of the platform theme)."""
    style = QStyleFactory.create(STYLE)
    return style.standardPalette()


def dark_palette() -> QPalette:
    """The dark palette: every role set, so nothing falls back to a light system colour."""
    palette = QPalette()
    for role, colour in _DARK_ROLES.items():
        palette.setColor(_Group.All, role, QColor(colour))
    for role, colour in _DARK_DISABLED.items():
        palette.setColor(_Group.Disabled, role, QColor(colour))
    return palette


def is_dark_palette(palette: QPalette) -> bool:
    """Whether a palette is a dark one (its window colour is darker than mid-grey)."""
    return palette.color(_Role.Window).lightness() < 128


def read_theme(settings: QSettings) -> Theme:
    """The theme saved in ``settings``; anything unreadable means "follow the system"."""
    value = settings.value(THEME_KEY, Theme.SYSTEM.value)
    try:
        return Theme(value)
    except ValueError:
        return Theme.SYSTEM


def _refresh_style_sheets(app: QApplication) -> None:
    """Re-polish widgets that have a style sheet, so they take the new palette.

    A style sheet resolves its ``palette(...)`` colours, and the palette of the widgets it
    styles, when it is applied; an application palette set later does not reach them.
    Setting the same sheet again re-applies it against the current palette.
    """
    # No garbage collection while the list is walked: collecting a Python wrapper that
    # owns a widget deletes it and its children, whose wrappers are further down the list
    # (a crash seen when a window is built while widgets of a closed one await collection).
    enabled = gc.isenabled()
    gc.disable()
    try:
        for widget in app.allWidgets():
            sheet = widget.styleSheet()
            if sheet:
                widget.setStyleSheet(sheet)
    finally:
        if enabled:
            gc.enable()


class ThemeManager(QObject):
    """Applies the chosen theme to the application and keeps it in step with the system.

    Args:
        settings: where the choice persists (``view/theme``).
        parent: owner of this object (the main window's actions).
    """

    dark_changed = Signal(bool)  # True when the dark palette is now in use

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._theme = read_theme(settings)
        self._dark: bool | None = None
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(self._on_style_hints_color_scheme_changed)
        self._system_scheme = hints.colorScheme()
        self._switch(self._theme)

    def theme(self) -> Theme:
        return self._theme

    def is_dark(self) -> bool:
        """Whether the dark palette is in use now."""
        return bool(self._dark)

    def set_theme(self, theme: Theme) -> None:
        """Switch to ``theme`` at once and remember it for the next start."""
        self._settings.setValue(THEME_KEY, theme.value)
        self._switch(theme)

    def _switch(self, theme: Theme) -> None:
        self._theme = theme
        self._request_color_scheme()
        if theme is Theme.SYSTEM:
            self._system_scheme = QGuiApplication.styleHints().colorScheme()
        self._apply()

    def _apply(self) -> None:
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        if self._theme is Theme.SYSTEM:
            dark = self._system_scheme == Qt.ColorScheme.Dark  # Unknown: light
        else:
            dark = self._theme is Theme.DARK
        if app.style().name().lower() != STYLE.lower():
            app.setStyle(STYLE)  # resets the palette, so it goes first
        app.setPalette(dark_palette() if dark else light_palette())
        _refresh_style_sheets(app)
        if dark != self._dark:
            self._dark = dark
            self.dark_changed.emit(dark)

    def _request_color_scheme(self) -> None:
        """Tell the platform (Qt ≥ 6.8) so native parts such as title bars match."""
        hints = QGuiApplication.styleHints()
        if not hasattr(hints, "setColorScheme"):
            return
        wanted = {Theme.LIGHT: Qt.ColorScheme.Light, Theme.DARK: Qt.ColorScheme.Dark,
                  Theme.SYSTEM: Qt.ColorScheme.Unknown}[self._theme]  # Unknown: the system's
        hints.setColorScheme(wanted)

    @Slot(Qt.ColorScheme)
    def _on_style_hints_color_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        # Our own setColorScheme() requests arrive here too; only the system's count.
        if self._theme is Theme.SYSTEM:
            self._system_scheme = scheme
            self._apply()
