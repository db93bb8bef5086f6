"""The platform's guard rails: plain rule functions over a neutral view of a resource.

Two runners, one set of rules: `python -m plan check` / `plan diff` (plan.checks, over the offline
manifest) and the CrossGuard pack (policy/, under `pulumi preview --policy-pack policy`). Both sit
above this package; nothing here imports either, nor pydantic or the Pulumi SDK, so the pack's
own virtualenv (pulumi-policy and pulumi only) can load it.

- `resource_types`: the type tokens the rules know, and which of them hold data.
- `view`: `ResourceView`, what a rule reads, and `UNKNOWN` for values not known yet.
- `config`: `PolicyConfig`, the stack config facts no resource shows (external workers, tenant
  scripts).
- `rules`: the rules, `RULES`, and `check_views`.
"""
