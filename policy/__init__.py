"""The platform's guard rails as plain functions, run by CrossGuard and by `python -m plan check`.

- `policy.view`: the neutral view of a resource the rules read (type, name, urn, camelCase props,
  protect, parent, stack) and the config they need (`PolicyConfig`: external workers, tenant
  scripts).
- `policy.rules`: the rules and `check_manifest`, the offline entry point.
- `policy.crossguard`: adapters from pulumi_policy's arguments to the view, and the policies.
- `policy/__main__.py`: the CrossGuard pack (`pulumi preview --policy-pack policy`). It starts a
  gRPC server and blocks, so nothing imports it.
"""
