// Stand-in for a tenant script of a dispatch namespace (`dispatchNamespaces.<ns>.tenantScripts`):
// tenant code belongs to the tenant pipeline, so the twin answers with who was reached. Replace it
// with `python -m plan dev STACK --stub <tenant script>=path/to/worker.js`.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return Response.json({
      tenant: env.TWIN_STUB_NAME,
      namespace: env.TWIN_NAMESPACE,
      method: request.method,
      path: url.pathname,
    });
  },
};
