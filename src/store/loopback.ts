// Passwords cross a network in clear only to this machine: plain IMAP, SMTP or http: only to a loopback host.

/** 127.x.x.x, localhost or ::1 (bare or bracketed, as URL.hostname gives it). */
export function isLoopbackHost(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/i.test(host);
}
