// The lab's control interface for scripts: loopback HTTP with JSON.
//   GET  /status   servers, proxies, live links, armed faults
//   POST /fault    {"replica":2,"cut":true} | {"link":3,"freeze":"5s"} | {"spec":"replica=2,cut-at-rdb=50%"}
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { faultSpecFromJson, type FaultSpec } from './fault-spec.js';

const MAX_BODY_BYTES = 64 * 1024;

export interface ControlHandlers {
  status(): unknown;
  fault(spec: FaultSpec): string;
}

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

export async function startControlServer(handlers: ControlHandlers, port = 0): Promise<ControlServer> {
  const server = http.createServer((req, res) => {
    const reply = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.method === 'GET' && req.url === '/status') return reply(200, handlers.status());
    if (req.method !== 'POST' || req.url !== '/fault') {
      return reply(404, { ok: false, error: 'use GET /status or POST /fault with a JSON body such as {"replica":2,"cut":true}' });
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
      if (body.length > MAX_BODY_BYTES) req.destroy();
    });
    req.on('end', () => {
      try {
        const parsed: unknown = body.trim().startsWith('{') ? JSON.parse(body) : body.trim();
        reply(200, { ok: true, result: handlers.fault(faultSpecFromJson(parsed)) });
      } catch (err) {
        reply(400, { ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
