// Stand-in for a Workers for Platforms dispatch namespace binding: miniflare only proxies a
// dispatch namespace to Cloudflare (remote mode), so the twin wraps it. `get(name)` returns the
// tenant script's worker (a service binding `TENANT_<name>` the twin gives this wrapper, one per
// tenant script the stack declares); an unknown name fails on `fetch()` with Cloudflare's
// "Worker not found." error. The `args` and `options` (limits, outbound) of `get` are ignored.
export default function (env) {
  return {
    get(name) {
      const tenant = env[`TENANT_${name}`];
      if (tenant) {
        return tenant;
      }
      return {
        async fetch() {
          throw new Error("Worker not found.");
        },
      };
    },
  };
}
