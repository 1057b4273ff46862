"""InspectorTab: D's patch maps over the training samples, live and from a run folder."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QLabel,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.ui.inspector import map_choice
from nectar_gui.ui.inspector.ask_panel import AskPanel
from nectar_gui.ui.inspector.controls import InspectorControls
from nectar_gui.ui.inspector.legend import ScoreLegend
from nectar_gui.ui.inspector.map_choice import MapEntry
from nectar_gui.ui.inspector.over_time import CellHistory, OverTimeMode
from nectar_gui.ui.inspector.overlay_view import Cell, PatchOverlayView
from nectar_gui.ui.inspector.readout import geometry_text, hover_text, pins_text, plain_caption
from nectar_gui.ui.widgets.export import export_with_dialog
from nectar_gui.ui.widgets.scrubber import SampleLike, SampleLoader, SampleScrubber

HINT = ("Hover over the image: the yellow frame is the patch the cell under the mouse looked "
        "at (hatched where it reaches into the zero padding); the small white square is that "
        "cell's own colour. Click to pin a cell (cyan), wheel to zoom, drag to pan.")
TAB_TIP = ("Where the discriminator thinks each sample looks real or fake, patch by patch, "
           "and which pixels each patch covers")
NO_SAMPLES = ("No samples yet. D's patch maps appear here while a run trains, or when you "
              "open a run folder. Double-click an image in the Training tab to inspect it.")


class _ViewLink(QObject):
    """Keeps the zoom and centre of several views equal, whichever one the user moves."""

    def __init__(self, views: list[PatchOverlayView], parent: QObject) -> None:
        super().__init__(parent)
        self._views = views
        self._busy = False
        for view in views:
            view.view_changed.connect(lambda v=view: self._on_view_changed(v))

    def _on_view_changed(self, source: PatchOverlayView) -> None:
        if self._busy or not source.isVisible():
            return
        self._busy = True
        for view in self._views:
            if view is not source and view.isVisible():
                view.match(source)
        self._busy = False


def _side_by_side(pairs: list[tuple[QLabel, PatchOverlayView]]) -> QSplitter:
    """Equal columns, each a caption over its view."""
    splitter = QSplitter(Qt.Orientation.Horizontal)
    for index, (caption, view) in enumerate(pairs):
        # Long captions are cut, never widen their view: the views stay equal.
        caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        panel = QWidget()
        box = QVBoxLayout(panel)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(caption)
        box.addWidget(view, 1)
        splitter.addWidget(panel)
        splitter.setStretchFactor(index, 1)
    return splitter


def _fill(view: PatchOverlayView, sample: SampleLike, entry: MapEntry,
          controls: InspectorControls) -> None:
    """Show ``entry``'s map of ``sample`` in ``view``, drawn as the controls say."""
    view.set_content(sample.images[entry.image], sample.patch_maps[entry.name],
                     sample.receptive_field, sample.gan_mode)
    view.set_opacity(controls.opacity.value() / 100)
    view.set_grid_visible(controls.grid.isChecked())
    view.set_top_k(controls.top_k_value())


class InspectorTab(QWidget):
    """The discriminator inspector: a heat map of D's patch scores over each sample image.

    Fed like the sample view (``add_sample``, ``set_steps``, ``clear``) and with its own
    scrubber over the same history. The left view shows the chosen map over its image;
    the right one the partner map (real ↔ generated), the plain image, or nothing, kept
    in step. Hover shows a cell's field and score, clicks pin cells, "Most fake" outlines
    the k most fake cells.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scrubber = SampleScrubber()
        self._sample: SampleLike | None = None
        self._entries: list[MapEntry] = []
        self._entry: MapEntry | None = None
        self._domain = "B"
        self._kind: map_choice.Kind = "fake"
        self._wanted_image: str | None = None
        self._pins: list[Cell] = []
        self._note = ""
        self._judged = False  # the sample shown is the user's image, not a training sample
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.controls = InspectorControls()
        self.ask = AskPanel()
        self.ask.setVisible(False)
        self.view, self.side_view = PatchOverlayView(), PatchOverlayView()
        self.caption, self.side_caption = QLabel(), QLabel()
        splitter = _side_by_side([(self.caption, self.view),
                                  (self.side_caption, self.side_view)])
        side_panel = splitter.widget(1)  # the right-hand view and its caption
        assert side_panel is not None
        self._side_panel: QWidget = side_panel
        self.message_label = QLabel(NO_SAMPLES)
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label.setWordWrap(True)
        self._splitter = splitter
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message_label)
        self.stack.addWidget(splitter)
        self.legend = ScoreLegend()
        self.readout = QLabel(HINT)
        self.readout.setWordWrap(True)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.pins_label = QLabel()
        # Room reserved for the longest texts, so hovering never resizes (and refits) views.
        line = self.fontMetrics().lineSpacing()
        self.readout.setFixedHeight(2 * line + 4)
        self.pins_label.setFixedHeight(line + 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.history = CellHistory()
        for widget, stretch in ((self.header, 0), (self.controls, 0), (self.ask, 0),
                                (self.stack, 1), (self.history, 0), (self.legend, 0),
                                (self.readout, 0), (self.pins_label, 0), (self.scrubber, 0)):
            layout.addWidget(widget, stretch)
        self._link = _ViewLink([self.view, self.side_view], self)
        self.over_time = OverTimeMode(self, button=self.controls.over_time,
                                      scrubber=self.scrubber, history=self.history,
                                      say=self.pins_label.setText)

    def _connect(self) -> None:
        c = self.controls
        self.scrubber.sample_due.connect(self._on_scrubber_sample_due)
        self.scrubber.load_failed.connect(self._show_message)
        c.kind_changed.connect(self._on_controls_kind_changed)
        c.domain_changed.connect(self._on_controls_domain_changed)
        c.beside.currentIndexChanged.connect(lambda _i: self._apply())
        c.opacity.valueChanged.connect(self._on_controls_opacity_changed)
        c.grid.toggled.connect(self._on_controls_grid_toggled)
        c.top_k_box.toggled.connect(lambda _on: self._on_controls_top_k_changed())
        c.top_k.valueChanged.connect(lambda _k: self._on_controls_top_k_changed())
        c.clear_pins.clicked.connect(lambda: self.set_pins([]))
        c.fit.clicked.connect(self.view.fit)
        c.export.clicked.connect(self._on_controls_export_clicked)
        c.ask.toggled.connect(self.ask.setVisible)
        self.ask.judged.connect(self.show_judged)
        for view in (self.view, self.side_view):
            view.cell_hovered.connect(self._on_view_cell_hovered)
            view.cell_clicked.connect(self._on_view_cell_clicked)

    # ---- the history (see SampleScrubber) --------------------------------------------
    def add_sample(self, sample: SampleLike) -> None:
        """Keep a new sample; in live mode the newest is shown."""
        self.scrubber.add_sample(sample)

    def set_steps(self, steps: Iterable[int], loader: SampleLoader) -> None:
        """Steps with a sample on disk, and how to load one (kept while the probe shows)."""
        self.over_time.set_sample_steps(list(steps), loader)

    def clear(self) -> None:
        """Forget every sample (a new run or another run folder)."""
        self.scrubber.clear()
        self._sample, self._entries, self._entry, self._pins = None, [], None, []
        self._show_message(NO_SAMPLES)

    def refresh(self) -> None:
        """Show the due sample now instead of at the next timer tick."""
        self.scrubber.refresh()

    def show_image(self, name: str) -> None:
        """Show D's map over the image ``name`` ("fake_B", …) of the current sample."""
        self._wanted_image = name
        if self._sample is not None:
            self._choose_entry()
            self._apply()

    def show_sample(self, sample: SampleLike, image: str, *, live: bool) -> None:
        """Show ``sample`` (picked in another view) with D's map over ``image``."""
        self._wanted_image = image
        self.scrubber.show_sample(sample, live=live)
        self.scrubber.refresh()

    def show_judged(self, record: SampleLike) -> None:
        """Show D's answer about the user's own image; Live returns to the training."""
        self.scrubber.set_live(False)
        self._judged = True
        self._wanted_image = next(iter(record.patch_map_images.values()), None)
        self._display(record)

    def set_run(self, run_dir: Path | None) -> None:
        """The run folder shown (live or opened): "Probe over time" follows its checkpoints."""
        self.over_time.set_run(run_dir)

    def ask_about(self, model: Path, image: Path, *, translate: bool = True) -> None:
        """Show what ``model``'s D makes of ``image`` (its generator's output for it by
        default): the Evaluate tab's double-click on an image."""
        self.controls.ask.setChecked(True)
        self.ask.ask_after_loading(model, image, translate=translate)

    def shutdown(self) -> None:
        """Join the Ask D thread (call before the window closes)."""
        self.ask.shutdown()
        self.over_time.shutdown()

    def current_sample(self) -> SampleLike | None:
        return self._sample

    def current_map(self) -> str | None:
        """Name of the map in the left view ("D_B(fake_B)", …), or None."""
        return None if self._entry is None else self._entry.name

    def side_map(self) -> str | None:
        """Name of the map in the right view when it shows the partner map."""
        entry = self._side_entry()
        return None if entry is None else entry.name

    def pins(self) -> list[Cell]:
        return list(self._pins)

    def set_pins(self, cells: list[Cell]) -> None:
        """Pin these cells in both views (the order is kept)."""
        self._pins = list(dict.fromkeys(cells))
        for view in (self.view, self.side_view):
            view.set_pins(self._pins if view.grid_shape() == self.view.grid_shape() else [])
        self.pins_label.setText(pins_text(self.view, self._pins))
        self.over_time.pins_changed(self._pins)

    # ---- showing ---------------------------------------------------------------------
    def _on_scrubber_sample_due(self, sample: SampleLike) -> None:
        self._judged = False
        self.scrubber.set_shown(sample)
        self._display(sample)

    def _display(self, sample: SampleLike) -> None:
        self._sample = sample
        self._entries = map_choice.map_entries(sample)
        if getattr(sample, "receptive_field", None) is None or not self._entries:
            self._entry = None
            self._show_message(f"The sample of step {sample.step:,} has no patch maps: only "
                               "its picture was saved, so there is nothing to inspect. Runs "
                               "trained by Nectar GUI keep D's maps in samples/<step>.npz.")
            return
        self._choose_entry()
        self._apply()

    def _choose_entry(self) -> None:
        wanted, self._wanted_image = self._wanted_image, None
        entry = map_choice.for_image(self._entries, wanted) if wanted else None
        self._note = ""
        if wanted and entry is None:
            domain = wanted.rsplit("_", 1)[-1] if "_" in wanted else self._domain
            entry = map_choice.pick(self._entries, domain, self._kind)
            if entry is not None:
                self._note = (f"D does not judge {wanted.replace('_', ' ')}; it scores real "
                              f"and generated images only, so {entry.name} is shown. ")
        if entry is None:
            entry = map_choice.pick(self._entries, self._domain, self._kind)
        self._entry = entry
        if entry is not None:
            self._domain, self._kind = entry.domain, entry.kind

    def _side_entry(self) -> MapEntry | None:
        if self._entry is None or self.controls.beside_choice() != "other":
            return None
        return map_choice.partner(self._entries, self._entry)

    def _apply(self) -> None:
        sample, entry = self._sample, self._entry
        if sample is None or entry is None:
            return
        old_grid = self.view.grid_shape()
        try:
            _fill(self.view, sample, entry, self.controls)
            side = self._side_entry() or entry
            _fill(self.side_view, sample, side, self.controls)
        except (ValueError, KeyError) as exc:
            self._show_message(f"Cannot show the sample of step {sample.step:,}: {exc}")
            return
        beside = self.controls.beside_choice()
        self.side_view.set_heat_visible(beside == "other" and self._side_entry() is not None)
        if beside != "none" and self._side_panel.isHidden():
            self._side_panel.setVisible(True)
            half = max(self._splitter.width() // 2, 1)
            self._splitter.setSizes([half, half])
            self.side_view.match(self.view)
        self._side_panel.setVisible(beside != "none")
        conditional = entry.judge == "D" and "real_A" in sample.images
        self.caption.setText(entry.caption(conditional))
        self.side_caption.setText(self._side_entry().caption(conditional)  # type: ignore[union-attr]
                                  if self.side_view.heat_visible() else
                                  plain_caption(entry, beside))
        self.controls.set_choice(entry.domain, entry.kind, map_choice.domains(self._entries))
        self.legend.set_scale(self.view.score_scale())
        where = (f"Your image, judged by D of {self.ask.info.summary}"
                 if self._judged and self.ask.info is not None else None)
        self.header.setText(geometry_text(sample, self.view, where))
        self.stack.setCurrentIndex(1)
        self.set_pins(self._pins if self.view.grid_shape() == old_grid else [])
        self._show_hover(self.view.hover_cell())

    def _show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.stack.setCurrentIndex(0)
        self.legend.set_scale(None)
        self.header.setText("")
        self.readout.setText("")
        self.pins_label.setText("")

    def _show_hover(self, cell: Cell | None) -> None:
        side = self.side_view if self.side_view.heat_visible() else None
        self.readout.setText(self._note + HINT if cell is None else
                             hover_text(self.view, cell, side))
        self.legend.set_marker(None if cell is None else self.view.reading_at(cell))

    # ---- handlers --------------------------------------------------------------------
    def _on_controls_kind_changed(self, kind: str) -> None:
        self._kind = "real" if kind == "real" else "fake"
        self._entry = map_choice.pick(self._entries, self._domain, self._kind)
        self._apply()

    def _on_controls_domain_changed(self, domain: str) -> None:
        self._domain = domain
        self._entry = map_choice.pick(self._entries, self._domain, self._kind)
        self._apply()

    def _on_controls_opacity_changed(self, value: int) -> None:
        for view in (self.view, self.side_view):
            view.set_opacity(value / 100)

    def _on_controls_grid_toggled(self, on: bool) -> None:
        for view in (self.view, self.side_view):
            view.set_grid_visible(on)

    def _on_controls_top_k_changed(self) -> None:
        for view in (self.view, self.side_view):
            view.set_top_k(self.controls.top_k_value())

    def _on_view_cell_hovered(self, cell: Cell | None) -> None:
        same_grid = self.view.grid_shape() == self.side_view.grid_shape()
        for view in (self.view, self.side_view):
            if view is not self.sender() and view.hover_cell() != cell:
                view.set_hover(cell if same_grid else None)
        self._show_hover(cell)

    def _on_view_cell_clicked(self, cell: Cell) -> None:
        pins = [p for p in self._pins if p != cell]
        self.set_pins(pins if len(pins) < len(self._pins) else [*self._pins, cell])

    def _on_controls_export_clicked(self) -> None:
        if self._sample is None or self._entry is None:
            return
        name = f"step{self._sample.step}-{self._entry.name}.png"
        name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
        path = export_with_dialog(self, caption="Export the overlay as PNG",
                                  proposed=str(Path.home() / name), suffix=".png",
                                  kind="PNG images", write=self._write_overlay_png)
        if path is not None:
            self._note = f"Exported to {path}. "
            self._show_hover(None)

    def _write_overlay_png(self, path: str) -> None:
        if not self.view.export_png(path):
            raise OSError("the image could not be saved")
