"""Which patch maps a sample carries, and which one the user's choices select.

A sample names its maps after the discriminator and the image it judged
("D(fake_B)" for pix2pix, "D_A(real_A)" … for CycleGAN) and says which image each lies
over. The inspector's switches pick a map by domain (A / B — CycleGAN has one D per
domain) and by kind (the real image or the generated one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["real", "fake"]
KINDS: tuple[Kind, ...] = ("fake", "real")


@dataclass(frozen=True)
class MapEntry:
    """One patch map of a sample.

    Attributes:
        name: The map's name in the sample, e.g. "D_B(fake_B)".
        image: The image it lies over, e.g. "fake_B".
        judge: The discriminator that produced it, e.g. "D_B" (pix2pix: "D").
        domain: "A" or "B", from the image name.
        kind: "real" for a dataset image, "fake" for a generator's output.
    """

    name: str
    image: str
    judge: str
    domain: str
    kind: Kind

    @property
    def kind_text(self) -> str:
        return "real image" if self.kind == "real" else "generated image"

    def caption(self, conditional: bool) -> str:
        """A view's caption: the image, what it is, and who judged it."""
        text = f"{self.image.replace('_', ' ')} ({self.kind_text}) · scored by {self.judge}"
        return text + (", which also sees real A" if conditional else "")


def map_entries(sample: Any) -> list[MapEntry]:
    """The sample's maps in a stable order (domain, then fake before real)."""
    entries = []
    for name, image in (getattr(sample, "patch_map_images", None) or {}).items():
        if name not in (getattr(sample, "patch_maps", None) or {}):
            continue
        kind: Kind = "real" if image.startswith("real") else "fake"
        domain = image.rsplit("_", 1)[-1] if "_" in image else ""
        judge = name.split("(", 1)[0] or "D"
        entries.append(MapEntry(name, image, judge, domain, kind))
    return sorted(entries, key=lambda e: (e.domain, KINDS.index(e.kind), e.name))


def domains(entries: list[MapEntry]) -> list[str]:
    """Domains that have maps, in order (["B"] for pix2pix, ["A", "B"] for CycleGAN)."""
    return sorted({e.domain for e in entries})


def pick(entries: list[MapEntry], domain: str, kind: Kind) -> MapEntry | None:
    """The map for ``domain`` and ``kind``; falls back to any map of the domain, then any."""
    for candidates in ([e for e in entries if e.domain == domain and e.kind == kind],
                       [e for e in entries if e.domain == domain], entries):
        if candidates:
            return candidates[0]
    return None


def partner(entries: list[MapEntry], entry: MapEntry) -> MapEntry | None:
    """The same D's map of the other kind (D(real_B) for D(fake_B)), if there is one."""
    other: Kind = "real" if entry.kind == "fake" else "fake"
    return next((e for e in entries if e.domain == entry.domain and e.kind == other), None)


def for_image(entries: list[MapEntry], image: str) -> MapEntry | None:
    """The map lying over ``image``, if any."""
    return next((e for e in entries if e.image == image), None)
