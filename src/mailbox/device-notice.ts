import { createMimeMessage } from "mimetext";

/**
 * The message put in the user's Inbox when one of their devices is first quarantined (as Exchange notifies
 * the user), so they know why the phone shows no mail and whom to ask. From postmaster@ (an automated
 * sender: it never gets an out-of-office reply).
 */
export function quarantineNotice(r: { mailbox: string; deviceId: string; deviceType: string; userAgent?: string; now: Date }): Uint8Array {
  const domain = r.mailbox.split("@")[1] ?? "localhost";
  const msg = createMimeMessage();
  msg.setSender({ name: "Mobile Sync", addr: `postmaster@${domain}` });
  msg.setTo(r.mailbox);
  msg.setSubject("A new device is waiting for approval");
  msg.setHeader("Auto-Submitted", "auto-generated");
  msg.setHeader("Date", r.now.toUTCString());
  msg.addMessage({
    contentType: "text/plain",
    charset: "utf-8",
    data: [
      `A device tried to synchronise the mailbox ${r.mailbox} and is quarantined until an administrator allows it.`,
      "",
      `Device type: ${r.deviceType}`,
      `Device id:   ${r.deviceId}`,
      r.userAgent ? `User agent:  ${r.userAgent}` : null,
      `First seen:  ${r.now.toISOString()}`,
      "",
      "If this is your device, ask your administrator to allow it. If it is not, change your password.",
    ]
      .filter((l) => l !== null)
      .join("\r\n"),
  });
  return new TextEncoder().encode(msg.asRaw());
}
