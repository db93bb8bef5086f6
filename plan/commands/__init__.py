"""One module per `python -m plan` sub-command beyond `show`; each registers itself on `app`."""
