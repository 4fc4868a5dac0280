"""``python -m govdata`` runs the command line (used to start run processes)."""

from govdata.cli import main

main()
