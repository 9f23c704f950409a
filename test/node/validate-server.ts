// The conformance kit's validator (../shared/conformance/validate) kept running for the whole test file instead of
// one Python start per response (a Python start with the kit's imports costs ~0.1 s of CPU; xmllint itself ~0.01 s,
// and an end-to-end file validates hundreds of responses). The running Python loads the kit's own script as a module
// and calls the same function its command line calls for each document (`validate_one`, with the same label as
// `validate COMMAND -`), so the verdict and xmllint's messages are the kit's, byte for byte.
// assertValid (validate.ts) is synchronous; the answer is awaited through a worker thread that owns the Python
// process, with Atomics.wait on the calling thread.
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";

/** One document's verdict: `problems` as `validate` prints them; `exit` the status `validate` would have exited with. */
export interface KitVerdict {
  exit: number;
  output: string;
}

const SERVER_PY = String.raw`
import importlib.machinery, importlib.util, io, json, os, sys
loader = importlib.machinery.SourceFileLoader("eas_conformance_validate", sys.argv[1])
kit = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
loader.exec_module(kit)
xsd_all = None
for line in sys.stdin:
    req = json.loads(line)
    err = io.StringIO()
    real_stderr, sys.stderr = sys.stderr, err
    try:
        # the checks main() makes before validating, then the document as "validate COMMAND -" validates it
        if req["command"] not in kit.RESPONSE_ROOTS:
            kit.die("unknown command %r; known: %s" % (req["command"], " ".join(sorted(kit.RESPONSE_ROOTS))))
        if xsd_all is None:
            xsd_all = os.path.join(kit.schema_dir(), "all.xsd")
        ok, problems = kit.validate_one(req["command"], "<stdin>", req["xml"].encode("utf-8", "surrogateescape"), xsd_all)
        res = {"exit": 0, "output": "valid\n"} if ok else {"exit": 1, "output": "".join(p + "\n" for p in problems) + "invalid\n"}
    except SystemExit as e:
        res = {"exit": e.code if isinstance(e.code, int) else 2, "output": err.getvalue()}
    finally:
        sys.stderr = real_stderr
    sys.stdout.write(json.dumps(res) + "\n")
    sys.stdout.flush()
`;

// CommonJS, run by the worker thread: relays requests to the Python process and answers on the port.
const WORKER_JS = `
const { spawn } = require("node:child_process");
const { workerData } = require("node:worker_threads");
const { port, flag, script, validate } = workerData;
const py = spawn("python3", ["-c", script, validate], { stdio: ["pipe", "pipe", "pipe"] });
let out = "";
let err = "";
let waiting = 0;
const answer = (res) => {
  port.postMessage(res);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
};
py.stdout.setEncoding("utf8");
py.stdout.on("data", (d) => {
  out += d;
  for (let i = out.indexOf("\\n"); i >= 0; i = out.indexOf("\\n")) {
    const line = out.slice(0, i);
    out = out.slice(i + 1);
    waiting--;
    answer(JSON.parse(line));
  }
});
py.stderr.on("data", (d) => (err = (err + d).slice(-4000)));
const gone = (why) => {
  for (; waiting > 0; waiting--) answer({ exit: -1, output: "the validator stopped (" + why + "): " + err });
};
py.on("exit", (code, signal) => gone(signal ?? code));
py.on("error", (e) => gone(e.message));
port.on("message", (req) => {
  if (py.exitCode !== null || py.signalCode !== null) return answer({ exit: -1, output: "the validator is not running: " + err });
  waiting++;
  py.stdin.write(JSON.stringify(req) + "\\n");
});
`;

let server: { port: MessagePort; flag: Int32Array } | undefined | null;

function start(validate: string): { port: MessagePort; flag: Int32Array } | null {
  try {
    const { port1, port2 } = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(WORKER_JS, {
      eval: true,
      workerData: { port: port2, flag, script: SERVER_PY, validate },
      transferList: [port2],
    });
    worker.unref();
    return { port: port1, flag };
  } catch {
    return null;
  }
}

/**
 * Validates `xml` as a `command` response with the running kit; undefined when no validator could be started
 * (the caller then runs the `validate` command itself).
 */
export function kitVerdict(validate: string, command: string, xml: string): KitVerdict | undefined {
  if (server === undefined) server = start(validate);
  if (!server) return undefined;
  const { port, flag } = server;
  Atomics.store(flag, 0, 0);
  port.postMessage({ command, xml });
  if (Atomics.wait(flag, 0, 0, 120_000) === "timed-out") throw new Error(`the conformance validator did not answer in 120 s (${command})`);
  const res = receiveMessageOnPort(port)?.message as KitVerdict | undefined;
  if (!res) throw new Error(`the conformance validator answered nothing (${command})`);
  if (res.exit === -1) {
    server = null; // gone: the rest of this file uses the command line
    return undefined;
  }
  return res;
}
