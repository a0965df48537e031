"""Allow `python -m custos`."""

from custos.cli import main

main()
