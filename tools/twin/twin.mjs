// The local twin's runner: every worker of a stack in one workerd, through miniflare.
//
// Driven by `python -m plan dev` and `python -m plan check --runtime` (plan/twin), which build
// the whole request from the stack's validated config. Protocol:
//   stdin:  one JSON request on the first line; end of stdin means "stop" (so the twin stops
//           when its parent goes away, whatever killed it).
//   fd N:   (N: the first argument) one JSON event per line: {"event": "ready" | "checked" | "error" | "stopped", ...}.
//   stdout/stderr: what the workers log (workerd's own output), passed through.
// Requests:
//   {"mode": "dev", "host": "127.0.0.1", "workers": [<miniflare worker options>], "secrets":
//    [{"worker", "binding", "value"}], "listen": [<worker names to report URLs of>]}
//   {"mode": "check", "workers": [<miniflare worker options>]}
// Worker options are miniflare's, plus `modules[].file` (read into `contents`) and `port` (a
// direct socket on `host`; 0 picks a free port).

import fs from "node:fs";
import { createRequire } from "node:module";
import { Miniflare } from "miniflare";

const require = createRequire(import.meta.url);
const VERSIONS = {
  miniflare: require("miniflare/package.json").version,
  workerd: require("workerd/package.json").version,
};
const events = fs.createWriteStream(null, { fd: Number(process.argv[2] ?? 3) });

function send(event) {
  events.write(`${JSON.stringify({ ...event, versions: VERSIONS })}\n`);
}

function readRequest() {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const onData = (chunk) => {
      buffer += chunk;
      const newline = buffer.indexOf("\n");
      if (newline >= 0) {
        process.stdin.off("data", onData);
        resolve(JSON.parse(buffer.slice(0, newline)));
      }
    };
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", onData);
    process.stdin.once("end", () => reject(new Error("no request on stdin")));
  });
}

// workerd reports a script that fails to load as "service core:user:<worker>: Uncaught ..."
// followed by indented stack lines; keep those lines, per worker.
class StartupLog {
  constructor() {
    this.lines = [];
  }

  capture(stream, target) {
    let rest = "";
    stream.on("data", (chunk) => {
      const text = rest + chunk.toString();
      const lines = text.split("\n");
      rest = lines.pop();
      for (const line of lines) {
        this.lines.push(line);
        target.write(`${line}\n`);
      }
    });
  }

  failures() {
    const found = [];
    for (const line of this.lines) {
      const match = /^service core:user:([^:]*): (.*)$/.exec(line);
      if (match) {
        found.push({ worker: match[1], message: match[2] });
      } else if (found.length && /^\s+at /.test(line) && !found.at(-1).at) {
        found.at(-1).at = line.trim().slice(3);
      }
    }
    return found;
  }
}

function workerOptions(worker, host) {
  const { port, modules, ...rest } = worker;
  const options = {
    ...rest,
    modules: modules.map(({ file, ...module }) =>
      file === undefined ? module : { ...module, contents: fs.readFileSync(file, "utf8") },
    ),
  };
  if (port !== undefined && port !== null) {
    options.unsafeDirectSockets = [{ host, port }];
  }
  return options;
}

async function start(workers, host, log) {
  const mf = new Miniflare({
    host,
    port: 0,
    workers: workers.map((w) => workerOptions(w, host)),
    handleRuntimeStdio(stdout, stderr) {
      log.capture(stdout, process.stdout);
      log.capture(stderr, process.stderr);
    },
  });
  try {
    await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
  return mf;
}

function startError(error, log) {
  if (error?.code === "ERR_ADDRESS_IN_USE") {
    return { event: "error", code: "address-in-use", message: error.message };
  }
  const failures = log.failures();
  if (failures.length) {
    return { event: "error", code: "worker-failed", failures };
  }
  const detail = log.lines.filter((line) => line.trim()).slice(-3);
  return { event: "error", code: "runtime", message: String(error?.message ?? error), detail };
}

async function dev(request) {
  const log = new StartupLog();
  let mf;
  try {
    mf = await start(request.workers, request.host, log);
  } catch (error) {
    send(startError(error, log));
    return 2;
  }
  for (const { worker, binding, value } of request.secrets) {
    const admin = (await mf.getSecretsStoreSecretAPI(binding, worker))();
    await admin.create(value);
  }
  const urls = {};
  for (const name of request.listen) {
    urls[name] = (await mf.unsafeGetDirectURL(name)).href.replace(/\/$/, "");
  }
  send({ event: "ready", urls });
  await new Promise((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
    process.stdin.resume();
  });
  await mf.dispose();
  send({ event: "stopped" });
  return 0;
}

// The probe imports the bundle under its module name and describes each export in workerd.
function probeSource(mainModule) {
  return `
import * as bundle from ${JSON.stringify(`./${mainModule}`)};
import { WorkerEntrypoint, DurableObject, WorkflowEntrypoint } from "cloudflare:workers";
const BASES = [WorkerEntrypoint, DurableObject, WorkflowEntrypoint].filter(Boolean);
function methodsOf(object, stop) {
  const names = new Set();
  for (let p = object; p && p !== Object.prototype && !stop.includes(p); p = Object.getPrototypeOf(p)) {
    for (const key of Object.getOwnPropertyNames(p)) {
      const value = Object.getOwnPropertyDescriptor(p, key).value;
      if (key !== "constructor" && typeof value === "function") names.add(key);
    }
  }
  return [...names].sort();
}
function describe(value) {
  if (typeof value === "function") {
    const base = BASES.find((b) => value.prototype instanceof b);
    const stop = BASES.map((b) => b.prototype);
    return { kind: base ? base.name : "function", methods: value.prototype ? methodsOf(value.prototype, stop) : [] };
  }
  if (value !== null && typeof value === "object") return { kind: "object", methods: methodsOf(value, []) };
  return { kind: value === undefined ? "undefined" : typeof value, methods: [] };
}
export default {
  fetch() {
    return Response.json(Object.fromEntries(Object.entries(bundle).map(([k, v]) => [k, describe(v)])));
  },
};
`;
}

async function checkOne(worker) {
  const main = worker.modules[0];
  const probe = {
    name: `${worker.name}--probe`,
    compatibilityDate: worker.compatibilityDate,
    compatibilityFlags: worker.compatibilityFlags,
    modules: [{ type: "ESModule", path: "__twin_probe__.js", contents: probeSource(main.path) }, main],
  };
  const log = new StartupLog();
  let mf;
  try {
    // The bundle runs as its own worker too: workerd validates a main module's exports.
    mf = await start([probe, worker], "127.0.0.1", log);
  } catch (error) {
    const failure = startError(error, log);
    const own = failure.failures?.find((f) => f.worker === worker.name) ?? failure.failures?.[0];
    return { name: worker.name, loaded: false, error: own ?? { message: failure.message } };
  }
  try {
    const response = await mf.dispatchFetch("http://probe/");
    return { name: worker.name, loaded: true, exports: await response.json() };
  } finally {
    await mf.dispose();
  }
}

async function check(request) {
  const results = [];
  for (const worker of request.workers) {
    results.push(await checkOne(worker));
  }
  send({ event: "checked", results });
  return 0;
}

async function main() {
  let request;
  try {
    request = await readRequest();
  } catch (error) {
    send({ event: "error", code: "request", message: String(error.message) });
    return 2;
  }
  return request.mode === "check" ? check(request) : dev(request);
}

main().then(
  (code) => events.end(() => process.exit(code)),
  (error) => {
    send({ event: "error", code: "runtime", message: String(error?.stack ?? error) });
    events.end(() => process.exit(2));
  },
);
