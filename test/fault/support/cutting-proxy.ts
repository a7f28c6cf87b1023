// A TCP proxy in front of an HTTP server that lets every request through but, for a request begun
// while `cutting`, drops its response and resets the connection: the client sees "socket hang up"
// / ECONNRESET for a request the server did execute. That is the uncertain outcome of an insert.
// Only requests begun while cutting: one begun before may have landed before the cut began.
import { connect, createServer, type Socket } from 'node:net';

export interface CuttingProxy {
  url: string;
  /** Cut the responses of requests begun from now on. */
  cutting: boolean;
  /** Responses dropped, by the kind of request they answered. */
  cut: { inserts: number; others: number };
  close(): Promise<void>;
}

export async function startCuttingProxy(target: string): Promise<CuttingProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    track(client);
    track(upstream);
    // The start of the latest request on this (keep-alive) connection, and whether it is cut.
    let request = '';
    let cutting = false;
    client.on('data', (chunk: Buffer) => {
      const head = chunk.toString('latin1', 0, 2000);
      if (/^(GET|POST) /.test(head)) {
        request = head;
        cutting = proxy.cutting;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!cutting) {
        client.write(chunk);
        return;
      }
      if (/[?&]query=INSERT/i.test(request)) proxy.cut.inserts++;
      else proxy.cut.others++;
      client.resetAndDestroy();
      upstream.destroy();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: CuttingProxy = {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    cutting: false,
    cut: { inserts: 0, others: 0 },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return proxy;
}
