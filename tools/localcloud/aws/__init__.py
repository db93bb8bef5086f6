"""A local Route 53 (moto on loopback) and an `aws` provider plugin that manages records in it.

`route53_server` serves the Route 53 API with fixed hosted-zone ids; `provider` is the plugin the
engine runs in place of `pulumi-resource-aws` (installed by `plugin.install`). The record
semantics follow the upstream Terraform provider the real plugin is bridged from (`records`).
"""
