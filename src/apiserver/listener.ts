// HTTP(S) listener of the embedded API server: Bun.serve, plus per-request client-certificate identity.
//
// Bun.serve (1.4.5) can request a client certificate but exposes neither the certificate nor whether it
// verified, per request; node:https under Bun exposes `socket.authorized` but not the subject. Bun's raw
// TLS sockets (Bun.listen) expose both. So when client certificates are wanted, a Bun.listen TLS front
// terminates TLS, learns the peer's identity, and pipes the plaintext bytes to a loopback Bun.serve; the
// HTTP side finds the identity by the source address of the proxied connection (server.requestIP).
import type { Server, Socket, TCPSocketListener } from "bun";
import type { TlsMaterial } from "./tls.ts";

/** Subject of a client certificate that verified against our CA. */
export interface PeerIdentity {
  commonName: string;
  organizations: string[];
}

export type PeerAwareHandler = (req: Request, peer: PeerIdentity | undefined) => Response | Promise<Response>;

export interface ServeOptions {
  /** 0 picks a free port. */
  port: number;
  hostname: string;
  /** Absent: plain HTTP. */
  tls?: { material: TlsMaterial; requestClientCert: boolean };
  handler: PeerAwareHandler;
}

/**
 * In client-certificate mode the handler's `req.url` has the scheme `http:` (the request reached it over the
 * loopback pipe); host, port, path and query are those the client sent.
 */
export interface RunningServer {
  port: number;
  url: string;
  /** Closes the listener and every open connection, streaming responses included. */
  stop(): Promise<void>;
}

export async function serve(opts: ServeOptions): Promise<RunningServer> {
  if (opts.tls?.requestClientCert) return serveWithClientCertificates(opts, opts.tls.material);

  const server = startBunServer({
    hostname: opts.hostname,
    port: opts.port,
    tls: opts.tls ? { cert: opts.tls.material.serverCert, key: opts.tls.material.serverKey } : undefined,
    fetch: (req) => opts.handler(req, undefined),
  });
  const port = server.port ?? opts.port;
  return {
    port,
    url: baseUrl(opts.tls ? "https" : "http", opts.hostname, port),
    stop: () => server.stop(true),
  };
}

const LEADING_NEWLINE = new Uint8Array([0x0a]);

/**
 * Bun.serve (1.4.5) sends only the status line of a streaming response until the stream yields its first
 * non-empty chunk (oven-sh/bun PR #33660); Go clients wait for the whole header block, so a quiet watch
 * would hang `kubectl wait`. JSON permits whitespace before a value, so a JSON stream (watch, Table watch)
 * can start with "\n" to push the headers out at once. Do not use it on non-JSON streams (protobuf).
 * Cancelling the returned stream cancels `jsonStream`.
 */
export function withHeadersSentAtOnce(jsonStream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = jsonStream.getReader();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(LEADING_NEWLINE);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** Subject of a verified peer certificate, as the apiserver's x509 authenticator reads it (user = CN, groups = O). */
export function peerIdentityFromSubject(subject: Record<string, string | string[] | undefined> | undefined)
  : PeerIdentity | undefined {
  if (!subject) return undefined;
  const names = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  // Go keeps the last CN when a subject carries several.
  const commonName = names(subject.CN).at(-1) ?? "";
  if (commonName === "") return undefined;
  return { commonName, organizations: names(subject.O) };
}

function baseUrl(scheme: "http" | "https", hostname: string, port: number): string {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `${scheme}://${host}:${port}`;
}

function startBunServer(o: {
  hostname: string;
  port: number;
  tls?: { cert: string; key: string };
  fetch: (req: Request, server: Server<undefined>) => Response | Promise<Response>;
}): Server<undefined> {
  return Bun.serve({
    hostname: o.hostname,
    port: o.port,
    tls: o.tls,
    // Watches stay quiet for minutes; Bun's default of 10 s would cut them.
    idleTimeout: 0,
    development: false,
    fetch: o.fetch,
    error: (error) => Response.json(internalErrorStatus(error), { status: 500 }),
  });
}

function internalErrorStatus(error: Error): object {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `Internal error occurred: ${error.message}`,
    reason: "InternalError",
    details: { causes: [{ message: error.message }] },
    code: 500,
  };
}

// ---- client-certificate mode: TLS front (Bun.listen) piping to a loopback Bun.serve ----

/** Bytes waiting for a socket that could not take them yet (backpressure). */
interface Outbox {
  queue: Uint8Array[];
  /** The sending side finished; end the receiving socket once the queue is empty. */
  ending: boolean;
}

interface FrontConnection {
  upstream?: Socket<UpstreamConnection>;
  toUpstream: Outbox;
  toClient: Outbox;
  closed: boolean;
}

interface UpstreamConnection {
  front: Socket<FrontConnection>;
  key?: string;
}

async function serveWithClientCertificates(opts: ServeOptions, material: TlsMaterial): Promise<RunningServer> {
  /** Proxied connections by "address:port" of their loopback source; value is the verified peer, if any. */
  const peers = new Map<string, PeerIdentity | undefined>();
  const upstreams = new Set<Socket<UpstreamConnection>>();

  const backend = startBunServer({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, server) {
      const source = server.requestIP(req);
      const key = source && addressKey(source.address, source.port);
      if (!key || !peers.has(key)) return new Response("connect through the TLS port\n", { status: 421 });
      return opts.handler(req, peers.get(key));
    },
  });
  const backendPort = backend.port!;

  const connectUpstream = (front: Socket<FrontConnection>, peer: PeerIdentity | undefined) =>
    Bun.connect<UpstreamConnection>({
      hostname: "127.0.0.1",
      port: backendPort,
      data: { front },
      socket: {
        open(upstream) {
          upstream.data.key = addressKey(upstream.localAddress, upstream.localPort);
          peers.set(upstream.data.key, peer);
          upstreams.add(upstream);
          front.data.upstream = upstream;
          if (front.data.closed) return void upstream.end();
          flush(upstream, front.data.toUpstream, front);
        },
        data: (upstream, chunk) => send(front, front.data.toClient, chunk, upstream),
        drain: (upstream) => flush(upstream, front.data.toUpstream, front),
        end: () => finish(front, front.data.toClient),
        close(upstream) {
          if (upstream.data.key) peers.delete(upstream.data.key);
          upstreams.delete(upstream);
          finish(front, front.data.toClient);
        },
        error: () => {},
        connectError: () => void front.end(),
      },
    });

  const listener: TCPSocketListener<FrontConnection> = Bun.listen<FrontConnection>({
    hostname: opts.hostname,
    port: opts.port,
    tls: {
      cert: material.serverCert,
      key: material.serverKey,
      ca: material.caCert,
      requestCert: true,
      // Verification failures must reach HTTP as "no identity" (401), not break the handshake.
      rejectUnauthorized: false,
    },
    socket: {
      open(front) {
        front.data = { toUpstream: newOutbox(), toClient: newOutbox(), closed: false };
      },
      handshake(front, success) {
        if (!success) return void front.end();
        const peer = front.authorized
          ? peerIdentityFromSubject(front.getPeerCertificate()?.subject as Record<string, string | string[]>)
          : undefined;
        connectUpstream(front, peer).catch(() => front.end());
      },
      data(front, chunk) {
        const upstream = front.data.upstream;
        if (upstream) send(upstream, front.data.toUpstream, chunk, front);
        else front.data.toUpstream.queue.push(copyBytes(chunk));
      },
      drain: (front) => flush(front, front.data.toClient, front.data.upstream),
      end: (front) => endUpstream(front),
      close: (front) => endUpstream(front),
      error: () => {},
    },
  });

  const port = listener.port;
  return {
    port,
    url: baseUrl("https", opts.hostname, port),
    async stop() {
      listener.stop(true);
      for (const upstream of upstreams) upstream.end();
      await backend.stop(true);
    },
  };
}

function endUpstream(front: Socket<FrontConnection>): void {
  front.data.closed = true;
  if (front.data.upstream) finish(front.data.upstream, front.data.toUpstream);
}

function newOutbox(): Outbox {
  return { queue: [], ending: false };
}

function addressKey(address: string, port: number): string {
  return `${address}:${port}`;
}

function copyBytes(chunk: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(chunk);
}

type AnySocket = Socket<FrontConnection> | Socket<UpstreamConnection>;

/** Writes to `to`, queueing what it refuses and pausing `from` until `to` drains. */
function send(to: AnySocket, box: Outbox, chunk: Uint8Array, from: AnySocket): void {
  if (box.queue.length > 0) {
    box.queue.push(copyBytes(chunk));
    return;
  }
  const written = to.write(chunk);
  if (written >= 0 && written < chunk.byteLength) {
    box.queue.push(copyBytes(chunk.subarray(written)));
    from.pause();
  }
}

/** Called when `to` can take more: writes the queue, then resumes `from` (or ends `to` if `from` is done). */
function flush(to: AnySocket, box: Outbox, from: AnySocket | undefined): void {
  while (box.queue.length > 0) {
    const head = box.queue[0];
    const written = to.write(head);
    if (written < 0) return;
    if (written < head.byteLength) {
      box.queue[0] = head.subarray(written);
      return;
    }
    box.queue.shift();
  }
  if (box.ending) to.end();
  else from?.resume();
}

function finish(to: AnySocket, box: Outbox): void {
  box.ending = true;
  if (box.queue.length === 0) to.end();
}
