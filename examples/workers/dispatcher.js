// The dispatcher: routes /<tenant>/... to the tenant's script in the TENANTS dispatch namespace
// (Workers for Platforms). An unknown tenant answers 404.
const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const tenant = url.pathname.split("/")[1] ?? "";
    if (!TENANT.test(tenant)) {
      return Response.json({ error: "expected /<tenant>/..." }, { status: 400 });
    }
    try {
      return await env.TENANTS.get(tenant).fetch(request);
    } catch (error) {
      if (String(error?.message).startsWith("Worker not found")) {
        return Response.json({ error: `no tenant '${tenant}'` }, { status: 404 });
      }
      throw error;
    }
  },
};
