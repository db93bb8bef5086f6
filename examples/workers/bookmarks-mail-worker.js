// The bookmarks mail worker: takes mail requests over its service binding, queues them, and
// sends them through Postmark from its queue consumer.
//
//   POST /send {"to": "...", "template": "welcome" | "password-reset"}
//        202 {id, queued: true}: recorded in MAIL_DB, enqueued on MAIL_OUTBOX
//   GET  /messages/<id>   {id, to, template, status, attempts, postmarkId, lastSentToRecipient}
//   queue(batch)          each message goes to Postmark's POST /email (POSTMARK_API_URL, default
//                         https://api.postmarkapp.com, with the POSTMARK_SERVER_TOKEN secret);
//                         acked when Postmark accepts it, retried otherwise. After the consumer's
//                         maxRetries the queue moves it to its dead-letter queue.
const TEMPLATES = {
  welcome: {
    subject: "Welcome to Bookmarks",
    text: "Your account is ready. Sign in to start saving bookmarks.",
  },
  "password-reset": {
    subject: "Reset your Bookmarks password",
    text: "Someone asked to reset your password. If it was you, follow the link in the app.",
  },
};
const SCHEMA = `CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY, recipient TEXT NOT NULL, template TEXT NOT NULL, status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, postmark_id TEXT, updated_at TEXT NOT NULL)`;
const DEFAULT_POSTMARK_API_URL = "https://api.postmarkapp.com";
const DEFAULT_FROM = "no-reply@bookmarks.example.com";

let schemaReady;

function database(env) {
  // Created on first use, once per isolate; a deployed database gets it from a migration.
  schemaReady ??= env.MAIL_DB.prepare(SCHEMA).run();
  return schemaReady.then(() => env.MAIL_DB);
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/send") {
      return enqueue(request, env);
    }
    const match = /^\/messages\/([0-9a-f-]{36})$/.exec(url.pathname);
    if (request.method === "GET" && match) {
      return show(env, match[1]);
    }
    return Response.json({ error: "not found" }, { status: 404 });
  },

  async queue(batch, env) {
    for (const message of batch.messages) {
      const mail = message.body;
      const result = await deliver(env, mail);
      const db = await database(env);
      if (result.ok) {
        await db
          .prepare(
            "UPDATE messages SET status = 'sent', attempts = ?, postmark_id = ?, updated_at = ? WHERE id = ?",
          )
          .bind(message.attempts, result.postmarkId, now(), mail.id)
          .run();
        await env.MAIL_STATE.put(`last-sent:${mail.to}`, now());
        message.ack();
      } else {
        console.log(`mail ${mail.id}: attempt ${message.attempts} failed (${result.reason}); retrying`);
        await db
          .prepare("UPDATE messages SET status = 'retrying', attempts = ?, updated_at = ? WHERE id = ?")
          .bind(message.attempts, now(), mail.id)
          .run();
        message.retry();
      }
    }
  },
};

async function enqueue(request, env) {
  let to, template;
  try {
    ({ to, template } = await request.json());
  } catch {
    return Response.json({ error: "expected a JSON body" }, { status: 400 });
  }
  if (typeof to !== "string" || !to.includes("@") || !(template in TEMPLATES)) {
    const templates = Object.keys(TEMPLATES).join(", ");
    return Response.json(
      { error: `expected {"to": "<address>", "template": one of ${templates}}` },
      { status: 400 },
    );
  }
  const id = crypto.randomUUID();
  const db = await database(env);
  await db
    .prepare(
      "INSERT INTO messages (id, recipient, template, status, attempts, updated_at) VALUES (?, ?, ?, 'queued', 0, ?)",
    )
    .bind(id, to, template, now())
    .run();
  await env.MAIL_OUTBOX.send({ id, to, template });
  return Response.json({ id, queued: true }, { status: 202 });
}

async function show(env, id) {
  const db = await database(env);
  const row = await db.prepare("SELECT * FROM messages WHERE id = ?").bind(id).first();
  if (!row) {
    return Response.json({ error: `no message ${id}` }, { status: 404 });
  }
  return Response.json({
    id: row.id,
    to: row.recipient,
    template: row.template,
    status: row.status,
    attempts: row.attempts,
    postmarkId: row.postmark_id,
    lastSentToRecipient: await env.MAIL_STATE.get(`last-sent:${row.recipient}`),
  });
}

async function deliver(env, mail) {
  const template = TEMPLATES[mail.template];
  const base = (env.POSTMARK_API_URL || DEFAULT_POSTMARK_API_URL).replace(/\/+$/, "");
  let response;
  try {
    response = await fetch(`${base}/email`, {
      method: "POST",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-Postmark-Server-Token": await env.POSTMARK_SERVER_TOKEN.get(),
      },
      body: JSON.stringify({
        From: env.MAIL_FROM || DEFAULT_FROM,
        To: mail.to,
        Subject: template.subject,
        TextBody: template.text,
        MessageStream: "outbound",
        Tag: mail.template,
        Metadata: { messageId: mail.id },
      }),
    });
  } catch (error) {
    return { ok: false, reason: `Postmark unreachable: ${error?.message ?? error}` };
  }
  const answer = await response.json().catch(() => ({}));
  if (response.ok && answer.ErrorCode === 0) {
    return { ok: true, postmarkId: answer.MessageID };
  }
  return { ok: false, reason: `Postmark answered ${response.status}, ErrorCode ${answer.ErrorCode}` };
}

function now() {
  return new Date().toISOString();
}
