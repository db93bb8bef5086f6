"""The CrossGuard pack: a thin adapter that runs the platform's guard rails (stacks.guards).

- `policy.crossguard`: pulumi_policy's arguments to `stacks.guards.view.ResourceView`, the stack
  or policy config to `PolicyConfig`, and one policy per rule of `stacks.guards.rules`.
- `policy/__main__.py`: the pack itself (`pulumi preview --policy-pack policy`). It starts a
  gRPC server and blocks, so nothing imports it.

The rules themselves live below, in stacks/guards, so that `python -m plan check` and
`plan diff` run them too without depending on this package.
"""
