// The loopback SMTP sink the workers project starts (test/workers/smtp-sink-setup.ts), seen from a test.
import { env } from "cloudflare:workers";

export interface SinkMessage {
  from: string;
  to: string[];
  raw: string;
}

/** Messages the sink accepted, with their text decoded. */
export async function sinkMessages(): Promise<(SinkMessage & { text: string })[]> {
  const list = await (await fetch(`${env.SMTP_SINK_URL}/messages`)).json<SinkMessage[]>();
  return list.map((m) => ({ ...m, text: new TextDecoder().decode(Uint8Array.from(atob(m.raw), (c) => c.charCodeAt(0))) }));
}

export const sinkControl = (what: "reset" | "down" | "up" | "lose-next-answer") =>
  fetch(`${env.SMTP_SINK_URL}/${what}`, { method: "POST" }).then((r) => r.json());
