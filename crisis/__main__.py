"""`python -m crisis` runs the command-line interface."""

from crisis.cli import main

main()
