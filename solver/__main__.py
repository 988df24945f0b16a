"""``python -m solver`` is the ``sprout`` command."""

import sys

from .cli import main

sys.exit(main())
