"""``python -m deepcausal`` runs the command-line interface."""

import sys

from deepcausal.cli.main import main

sys.exit(main())
