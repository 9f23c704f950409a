// The boundary check: ARCHITECTURE.md's rooms and arrows, enforced by `npm test` (and `npm run -s check:boundaries`); it fails on any
// violation. Each room below says which rooms it may import; everything else is forbidden. ARCHITECTURE.md's
// "The boundary check" table is this `allowed` map in words: change both together, with the reason in both.
// A room is a folder of src/ (eas/ is three: the item model, front/ and commands/). Types count as imports too:
// a type from another room is a dependency on that room's shape.

/** Rooms: name → path pattern (regular expressions over paths relative to the repo). */
const room = {
  wbxml: "^src/wbxml/",
  formats: "^src/formats/",
  easModel: "^src/eas/(?!front/|commands/)",
  easFront: "^src/eas/front/",
  easCommands: "^src/eas/commands/",
  mailbox: "^src/mailbox/",
  mailboxContract: "^src/mailbox/contract\\.ts$",
  storeShared: "^src/store/[^/]+\\.ts$",
  storePublic: "^src/store/([^/]+\\.ts|[^/]+/index\\.ts)$",
  store: "^src/store/",
  service: "^src/service/",
  db: "^src/db/",
  admin: "^src/admin/",
  http: "^src/http/",
  web: "^src/web/",
  observability: "^src/observability/",
};

/** What each room may import besides itself (and npm packages). Paths not listed are forbidden. */
const allowed = {
  wbxml: [],
  formats: [],
  easModel: [room.wbxml, room.formats],
  easFront: [room.observability, room.easModel, room.wbxml, room.formats, room.mailboxContract],
  easCommands: [room.observability, room.easFront, room.easModel, room.wbxml, room.formats, room.mailboxContract],
  mailbox: [room.observability, room.easModel, room.wbxml, room.formats, room.storePublic],
  service: [room.observability, room.db, room.mailboxContract, room.storePublic, room.formats],
  admin: [room.observability, room.service, room.mailboxContract, room.easModel, room.formats, room.storePublic],
  http: [
    room.easCommands,
    room.easFront,
    room.easModel,
    room.wbxml,
    room.formats,
    room.service,
    room.mailboxContract,
    room.storePublic,
    room.admin,
    room.web,
    room.observability,
  ],
  // store/loopback.ts: the one loopback check (plain-http session cookies only to 127.0.0.1, src/web/session.ts).
  web: [room.observability, room.service, room.mailboxContract, room.easModel, room.formats, room.admin, "^src/store/loopback\\.ts$"],
  db: [],
  observability: [],
};

const either = (patterns) => (patterns.length ? `(${patterns.join("|")})` : "^$");

const roomRules = Object.entries(allowed).map(([name, targets]) => ({
  name: `room-${name}`,
  comment: `${room[name]} may import only itself and: ${targets.join(", ") || "nothing of ours"} (ARCHITECTURE.md)`,
  severity: "error",
  from: { path: room[name] },
  to: { path: "^src/", pathNot: either([room[name], ...targets]) },
}));

module.exports = {
  forbidden: [
    ...roomRules,
    {
      name: "store-backends-apart",
      comment:
        "a store backend imports the shared store files and formats, never another backend's internals (bridge/ uses their index.ts)",
      severity: "error",
      from: { path: "^src/store/([^/]+)/" },
      to: { path: "^src/", pathNot: ["^src/store/$1/", room.storeShared, room.formats, "^src/store/[^/]+/index\\.ts$"] },
    },
    {
      name: "store-shared",
      comment: "the store interfaces and shared helpers import only each other and formats",
      severity: "error",
      from: { path: room.storeShared },
      to: { path: "^src/", pathNot: [room.storeShared, room.formats] },
    },
    {
      name: "no-circular",
      comment: "no import cycles",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "mailbox-no-hono",
      comment: "the mailbox object never imports Hono",
      severity: "error",
      from: { path: room.mailbox },
      to: { path: "node_modules/hono" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      from: {},
      to: { couldNotResolve: true, pathNot: "^cloudflare:" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
    exclude: { path: "^(worker-configuration\\.d\\.ts|node_modules)" },
  },
};
