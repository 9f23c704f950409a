// Shared bits of the "try it as a new user would" scripts: command-line options, a step printer that
// exits non-zero when a step fails, the admin API and the email() handler as `wrangler dev` exposes it.
// The phone itself is the project's test client (test/node/phone.ts), which validates every WBXML response
// against the conformance kit's XSDs.
import { Phone, type PhoneConfig, type PhoneResponse } from "../../test/node/phone";

export interface TryOptions {
  url: string;
  token: string;
  flags: Set<string>;
  values: Map<string, string>;
}

/** `--url URL` (default http://127.0.0.1:$PORT, PORT defaulting to 8787), `--token T`, `--flag`, `--name value`. */
export function options(argv = process.argv.slice(2)): TryOptions {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) continue;
    const [name, inline] = a.slice(2).split(/=(.*)/s);
    if (inline !== undefined) values.set(name, inline);
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith("--")) values.set(name, argv[++i]);
    else flags.add(name);
  }
  return {
    url: (values.get("url") ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`).replace(/\/$/, ""),
    token: values.get("token") ?? process.env.ADMIN_TOKEN ?? "dev-admin-token",
    flags,
    values,
  };
}

let failures = 0;
let stepNo = 0;

export function fail(message: string): never {
  throw new Error(message);
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

/** Prints a line under the current step. */
export function say(line: string): void {
  console.log(`     ${line}`);
}

/**
 * Runs one step and prints its outcome. A failed step prints what came back and what was expected; the script
 * goes on only if the step is marked `optional` (later steps do not depend on it), else it exits 1 at once.
 */
export async function step<T>(title: string, fn: () => Promise<T>, opts: { optional?: boolean } = {}): Promise<T | undefined> {
  stepNo++;
  console.log(`\n[${stepNo}] ${title}`);
  const t0 = performance.now();
  try {
    const r = await fn();
    console.log(`  ok (${(performance.now() - t0).toFixed(0)} ms)`);
    return r;
  } catch (e) {
    failures++;
    console.log(`  FAILED: ${(e as Error).message.split("\n").join("\n     ")}`);
    if (!opts.optional) finish();
    return undefined;
  }
}

export function finish(): never {
  console.log(failures ? `\n${failures} step(s) FAILED` : `\nall ${stepNo} steps passed`);
  process.exit(failures ? 1 : 0);
}

/** The decoded response, one line per element, shortened: what a person reads to see what came back. */
export function brief(r: PhoneResponse, maxLines = 12): string {
  if (!r.xml) return `HTTP ${r.status}, ${r.raw.length} bytes, no WBXML body`;
  const lines = r.xml
    .replace(/ xmlns(:\w+)?="[^"]*"/g, "")
    .split("\n")
    .map((l) => (l.length > 110 ? l.slice(0, 107) + "..." : l));
  const shown = lines.slice(0, maxLines);
  if (lines.length > maxLines) shown.push(`… (${lines.length - maxLines} more lines)`);
  return `HTTP ${r.status}\n${shown.join("\n")}`;
}

export function phone(o: TryOptions, config: Omit<PhoneConfig, "baseUrl">): Phone {
  return new Phone({ baseUrl: o.url, ...config });
}

export async function admin(
  o: TryOptions,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${o.url}/admin/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${o.token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** Mail through the Worker's email() handler, the way `wrangler dev` simulates Email Routing. */
export async function deliver(o: TryOptions, from: string, to: string, subject: string): Promise<Response> {
  const raw = `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nDate: ${new Date().toUTCString()}\r\nMessage-ID: <${crypto.randomUUID()}@try.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${subject}\r\n`;
  return fetch(`${o.url}/cdn-cgi/handler/email?${new URLSearchParams({ from, to })}`, { method: "POST", body: raw });
}

/** Resolves to the promise's value or "pending" after `ms`. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | "pending"> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const r = await Promise.race([p, new Promise<"pending">((res) => (t = setTimeout(() => res("pending"), ms)))]);
  clearTimeout(t);
  return r;
}

export { Phone, type PhoneResponse };
