"""The checks of `python -m plan drift`: the Postmark account against the stacks, and the sending
domain's Route 53 records against Postmark and the stacks."""
