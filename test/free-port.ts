import net from "node:net";

/** A TCP port on 127.0.0.1 that was free a moment ago (test servers and `wrangler dev` bind to it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}
