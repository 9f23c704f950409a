import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The built-in user directory: one row per mailbox login. */
export const accounts = sqliteTable("accounts", {
  address: text("address").primaryKey(),
  passwordHash: text("password_hash").notNull(),
  salt: text("salt").notNull(),
  iterations: integer("iterations").notNull(),
  createdAt: integer("created_at", { mode: "timestamp" }).notNull(),
  failedAttempts: integer("failed_attempts").notNull().default(0),
  lockedUntil: integer("locked_until", { mode: "timestamp" }),
});
