"""``python -m nectar_gui.cli``: the entry torchrun uses (``-m nectar_gui.cli train …``)."""

import sys

from nectar_gui.cli.main import main

sys.exit(main())
