// The auth worker: registration and password reset. It sends no mail itself: every message goes
// through the MAIL_SERVICE service binding (bookmarks-mail-worker, or whichever script the stack
// binds there), so repointing mail is one line of the stack file.
//
//   POST /register  {"email": "..."}   201 {registered, mail}   (mail: what MAIL_SERVICE answered)
//   POST /reset     {"email": "..."}   202 {reset, mail}
//   GET  /health                       200 {ok: true}
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (request.method === "GET" && pathname === "/health") {
      return Response.json({ ok: true });
    }
    if (request.method === "POST" && pathname === "/register") {
      return sendMail(request, env, "welcome", (email, mail) =>
        Response.json({ registered: email, mail }, { status: 201 }),
      );
    }
    if (request.method === "POST" && pathname === "/reset") {
      return sendMail(request, env, "password-reset", (email, mail) =>
        Response.json({ reset: email, mail }, { status: 202 }),
      );
    }
    return Response.json({ error: "not found" }, { status: 404 });
  },
};

async function sendMail(request, env, template, answer) {
  let email;
  try {
    ({ email } = await request.json());
  } catch {
    return Response.json({ error: "expected a JSON body" }, { status: 400 });
  }
  if (typeof email !== "string" || !EMAIL.test(email)) {
    return Response.json({ error: "expected {\"email\": \"<address>\"}" }, { status: 400 });
  }
  if (env.LOG_LEVEL === "debug") {
    console.log(`auth: ${template} mail for ${email} through MAIL_SERVICE`);
  }
  const response = await env.MAIL_SERVICE.fetch("https://mail-service/send", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ to: email, template }),
  });
  const mail = await response.json().catch(() => null);
  if (!response.ok) {
    return Response.json({ error: "the mail service refused", status: response.status, mail }, {
      status: 502,
    });
  }
  return answer(email, mail);
}
