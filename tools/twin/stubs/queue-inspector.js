// Holds what lands in queues that no worker of the stack consumes (the dead-letter queues): in
// Cloudflare such messages wait in the queue; in the twin this worker consumes them so they can
// be read.
//
//   GET /queues          {queue: [message, ...]} for every queue it holds
//   GET /queues/<name>   the messages of one queue: {id, body, attempts, timestamp}
const held = {};

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/queues") {
      return Response.json(held);
    }
    const match = /^\/queues\/([^/]+)$/.exec(url.pathname);
    if (request.method === "GET" && match) {
      return Response.json(held[decodeURIComponent(match[1])] ?? []);
    }
    return Response.json({ error: "GET /queues or /queues/<name>" }, { status: 404 });
  },
  async queue(batch) {
    const messages = (held[batch.queue] ??= []);
    for (const message of batch.messages) {
      messages.push({
        id: message.id,
        body: message.body,
        attempts: message.attempts,
        timestamp: message.timestamp.toISOString(),
      });
      message.ack();
    }
  },
};
