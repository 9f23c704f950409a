// globalSetup of the workers project: a real Radicale for the CalDAV/CardDAV bridge tests. Its ports are
// chosen in vitest.config.ts (they must be known when the Worker's bindings are built) and passed by env.
import { startRadicale } from "../servers/radicale";

export default async function setup() {
  const server = await startRadicale({ port: Number(process.env.TEST_RADICALE_PORT), controlPort: Number(process.env.TEST_RADICALE_CONTROL_PORT) });
  return () => server.stop();
}
