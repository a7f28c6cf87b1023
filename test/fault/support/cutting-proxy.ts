// A TCP proxy in front of an HTTP server that, while `cutting`, lets every request through but
// drops its response and resets the connection: the client sees "socket hang up" / ECONNRESET
// for a request the server did execute. That is the uncertain outcome of an insert.
import { connect, createServer, type Socket } from 'node:net';

export interface CuttingProxy {
  url: string;
  cutting: boolean;
  /** Responses dropped while cutting, by the kind of request they answered. */
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
    // The start of the latest request on this (keep-alive) connection.
    let request = '';
    client.on('data', (chunk: Buffer) => {
      const head = chunk.toString('latin1', 0, 2000);
      if (/^(GET|POST) /.test(head)) request = head;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!proxy.cutting) {
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
