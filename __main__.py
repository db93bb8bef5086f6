"""Pulumi entry point: validate the stack config, build the platform, export its ids."""

from stacks.program import main

main()
