"""The local twin of a stack: its workers run together in workerd through miniflare.

`config` turns the validated platform config into what miniflare runs (pure), `secrets` gives
the secrets local values, `process` runs the Node runner (tools/twin/twin.mjs) and stops it with
everything it started, `runtime_check` loads each bundle in workerd and reports what the runtime
would reject.
"""
