// Stand-in for a worker another team owns (`externalWorkers` of the stack), e.g.
// cosmos-mail-worker-staging: answers every call with 202 and records it. Replace it with your
// own module: `python -m plan dev STACK --stub cosmos-mail-worker-staging=path/to/worker.js`.
//
//   GET /__twin/calls   every call received so far: method, path, body (headers are not kept:
//                       they may carry credentials)
const calls = [];

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/__twin/calls") {
      return Response.json(calls);
    }
    const text = await request.text();
    let body = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    calls.push({ method: request.method, path: url.pathname + url.search, body });
    return Response.json(
      { stub: env.TWIN_STUB_NAME, accepted: true, call: calls.length },
      { status: 202 },
    );
  },
};
