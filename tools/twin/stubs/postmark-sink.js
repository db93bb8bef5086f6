// Local sink for Postmark's email API, so that nothing leaves the machine: the twin points the
// POSTMARK_API_URL of workers that bind the Postmark server token here, unless
// `--var POSTMARK_API_URL=<url>` points it elsewhere (e.g. the Postmark-compatible server of the
// tests).
//
//   POST /email      needs an X-Postmark-Server-Token header and a JSON body with From and To;
//                    answers like Postmark ({To, SubmittedAt, MessageID, ErrorCode: 0, ...})
//   GET  /messages   every message accepted so far (the token is never kept)
const messages = [];

function error(status, code, message) {
  return Response.json({ ErrorCode: code, Message: message }, { status });
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/messages") {
      return Response.json(messages);
    }
    if (request.method !== "POST" || url.pathname !== "/email") {
      return error(404, 404, "Not found (the twin's sink knows POST /email and GET /messages).");
    }
    if (!request.headers.get("X-Postmark-Server-Token")) {
      return error(401, 10, "Request does not contain a valid Server token.");
    }
    let body;
    try {
      body = await request.json();
    } catch {
      return error(422, 402, "Received invalid JSON input.");
    }
    if (!body?.From || !body?.To) {
      return error(422, 300, "Invalid email request: From and To are required.");
    }
    const message = {
      MessageID: crypto.randomUUID(),
      SubmittedAt: new Date().toISOString(),
      From: body.From,
      To: body.To,
      Subject: body.Subject ?? "",
      TextBody: body.TextBody ?? "",
      MessageStream: body.MessageStream ?? "outbound",
    };
    messages.push(message);
    return Response.json({
      To: message.To,
      SubmittedAt: message.SubmittedAt,
      MessageID: message.MessageID,
      ErrorCode: 0,
      Message: "OK",
    });
  },
};
