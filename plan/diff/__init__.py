"""Diff the platform between a git ref and the working tree, offline (`python -m plan diff`)."""
