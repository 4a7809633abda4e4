"""`python -m icframework` is the `icf` command."""

from .cli import main

main()
