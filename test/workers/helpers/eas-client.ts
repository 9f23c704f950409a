// Builds ActiveSync requests for workerd tests (exports.default.fetch).
import { exports } from "cloudflare:workers";

export const BASE = "https://mail.example.test/Microsoft-Server-ActiveSync";

export function basic(user: string, password: string): string {
  return "Basic " + btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)));
}

export function b64(bytes: number[]): string {
  return btoa(String.fromCharCode(...bytes));
}

export function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}

export function post(query: string, init: { auth?: string; headers?: Record<string, string>; body?: BodyInit; path?: string } = {}) {
  const headers: Record<string, string> = { "MS-ASProtocolVersion": "14.1", ...init.headers };
  if (init.auth) headers.Authorization = init.auth;
  const url = (init.path ? BASE.replace("/Microsoft-Server-ActiveSync", init.path) : BASE) + "?" + query;
  return exports.default.fetch(new Request(url, { method: "POST", headers, body: init.body }));
}

export function plainQuery(cmd: string, extra = "", deviceId = "v140Device", user = ""): string {
  return `Cmd=${cmd}${user ? `&User=${encodeURIComponent(user)}` : ""}&DeviceId=${deviceId}&DeviceType=SmartPhone${extra}`;
}
