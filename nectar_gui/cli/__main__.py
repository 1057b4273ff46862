"""``python -m nectar_gui.cli``: the entry torchrun uses (``-m nectar_gui.cli train …``)."""

from nectar_gui.cli.main import run

run()
