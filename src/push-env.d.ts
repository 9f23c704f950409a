// Optional push settings (wrangler [vars]); defaults and reasons in src/eas/front/push-config.ts.
// Declared on both Env shapes: `wrangler types` makes the global Env separate from Cloudflare.Env.
interface PushVars {
  PING_MIN_HEARTBEAT?: string;
  PING_MAX_HEARTBEAT?: string;
  PING_MAX_FOLDERS?: string;
  /** "1": log one line per mailbox-object construction (the push benchmark counts evictions with it). */
  PUSH_TRACE?: string;
  NOTIFY_SECRET?: string;
  /** Bridged mailboxes with push "poll": seconds between polls while a device waits (src/eas/front/wait.ts). */
  BRIDGE_POLL_SECONDS?: string;
  /** Bridged mailboxes with push "notify": seconds between safety polls while devices wait (src/mailbox/bridge-push.ts). */
  BRIDGE_SAFETY_POLL_SECONDS?: string;
}
declare namespace Cloudflare {
  interface Env extends PushVars {}
}
interface Env extends PushVars {}
