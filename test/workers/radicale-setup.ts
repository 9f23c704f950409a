// globalSetup of the workers project: two real Radicale servers for the CalDAV/CardDAV bridge tests, one
// for the ordinary tests and one that the outage tests freeze and kill (test files run in parallel, so the
// outage tests must not pull the server from under the others). Ports are chosen in vitest.config.ts
// (they must be known when the Worker's bindings are built) and passed by env.
import { startRadicale } from "../servers/radicale";

export default async function setup() {
  const main = await startRadicale({
    port: Number(process.env.TEST_RADICALE_PORT),
    controlPort: Number(process.env.TEST_RADICALE_CONTROL_PORT),
  });
  const outage = await startRadicale({
    port: Number(process.env.TEST_RADICALE_OUTAGE_PORT),
    controlPort: Number(process.env.TEST_RADICALE_OUTAGE_CONTROL_PORT),
  }).catch(async (e: unknown) => {
    await main.stop();
    throw e;
  });
  return async () => {
    await main.stop();
    await outage.stop();
  };
}
