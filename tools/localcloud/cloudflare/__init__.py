"""A local Cloudflare for the real engine's tests: an API emulator and a `cloudflare` plugin.

- `api`: a stateful emulator of the Cloudflare v4 API subset the program deploys to
  (`python -m tools.localcloud.cloudflare.api --port 0 [--seed F] [--token-file F]`).
- `provider`: a Pulumi resource provider, installed as `cloudflare` 6.23.1, that serves the
  program's `cloudflare:index/...` types by calling that emulator
  (`python -m tools.localcloud.cloudflare.provider`).
- `plugin.install`: puts the provider into a throwaway PULUMI_HOME.
"""
