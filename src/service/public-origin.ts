import { isLoopbackHost } from "../store/loopback";

/** Where devices and mail servers reach this Worker: PUBLIC_URL, else https on the request's host (loopback keeps its scheme, for local runs). */
export function publicOrigin(requestUrl: string, env: Env): string {
  // Optional vars are declared on Cloudflare.Env (src/env.d.ts), which the generated global Env does not extend.
  const configured = (env as Cloudflare.Env).PUBLIC_URL;
  if (configured) return configured.replace(/\/+$/, "");
  const u = new URL(requestUrl);
  return `${isLoopbackHost(u.hostname) ? u.protocol : "https:"}//${u.host}`;
}
