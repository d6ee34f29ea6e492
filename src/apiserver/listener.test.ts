import { beforeAll, describe, expect, test } from "bun:test";
import {
  peerIdentityFromSubject,
  serve,
  withHeadersSentAtOnce,
  type PeerAwareHandler,
  type PeerIdentity,
  type RunningServer,
} from "./listener.ts";
import { generateTlsMaterial, type TlsMaterial } from "./tls.ts";

let material: TlsMaterial;
let foreign: TlsMaterial;

beforeAll(async () => {
  [material, foreign] = await Promise.all([
    generateTlsMaterial(),
    generateTlsMaterial({ clientCommonName: "intruder" }),
  ]);
});

const echoPeer: PeerAwareHandler = (req, peer) =>
  Response.json({ path: new URL(req.url).pathname, peer: peer ?? null });

type Mode = "http" | "https" | "https+client-cert";
const modes: Mode[] = ["http", "https", "https+client-cert"];

async function start(mode: Mode, handler: PeerAwareHandler): Promise<RunningServer> {
  const tls = mode === "http" ? undefined : { material, requestClientCert: mode === "https+client-cert" };
  return serve({ hostname: "127.0.0.1", port: 0, tls, handler });
}

/** Bun fetch TLS options: trust our CA and present the admin client certificate. */
const withClientCert = () => ({ tls: { ca: material.caCert, cert: material.clientCert, key: material.clientKey } });
const trustOnly = () => ({ tls: { ca: material.caCert } });

async function withServer<T>(mode: Mode, handler: PeerAwareHandler, body: (s: RunningServer) => Promise<T>) {
  const server = await start(mode, handler);
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

/** A stream that writes each line after its delay (ms); records whether the server cancelled it. */
function timedLines(steps: [delayMs: number, line: string][], state = { cancelled: false }) {
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const [delay, line] of steps) {
        await Bun.sleep(delay);
        if (state.cancelled) return;
        controller.enqueue(new TextEncoder().encode(line));
      }
      controller.close();
    },
    cancel() {
      state.cancelled = true;
    },
  });
}

/** Reads a body to its end, noting when each chunk arrived (ms since `since`). */
async function readTimed(body: ReadableStream<Uint8Array>, since: number) {
  const chunks: { at: number; text: string }[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of body) chunks.push({ at: performance.now() - since, text: decoder.decode(chunk) });
  return chunks;
}

describe("serve", () => {
  for (const mode of modes) {
    test(`${mode}: answers on a free port with the right scheme`, async () => {
      await withServer(mode, echoPeer, async (server) => {
        expect(server.port).toBeGreaterThan(0);
        expect(server.url).toBe(`${mode === "http" ? "http" : "https"}://127.0.0.1:${server.port}`);
        const res = await fetch(`${server.url}/version`, mode === "http" ? {} : withClientCert());
        expect(res.status).toBe(200);
        const body = (await res.json()) as { path: string; peer: PeerIdentity | null };
        expect(body.path).toBe("/version");
        // Only the client-certificate mode asks for (and so learns) the peer's certificate.
        expect(body.peer).toEqual(
          mode === "https+client-cert" ? { commonName: "admin", organizations: ["system:masters"] } : null,
        );
      });
    });
  }

  test("https+client-cert: no certificate still completes the handshake, with no identity", async () => {
    await withServer("https+client-cert", echoPeer, async (server) => {
      const res = await fetch(`${server.url}/x`, trustOnly());
      expect(res.status).toBe(200);
      expect(((await res.json()) as { peer: unknown }).peer).toBeNull();
    });
  });

  test("https+client-cert: a certificate from another CA gives no identity", async () => {
    await withServer("https+client-cert", echoPeer, async (server) => {
      const res = await fetch(`${server.url}/x`, {
        tls: { ca: material.caCert, cert: foreign.clientCert, key: foreign.clientKey },
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { peer: unknown }).peer).toBeNull();
    });
  });

  test("https+client-cert: the subject of a custom client certificate", async () => {
    const custom = await generateTlsMaterial({ clientCommonName: "operator", clientOrganization: "kode:operators" });
    const server = await serve({
      hostname: "127.0.0.1",
      port: 0,
      tls: { material: custom, requestClientCert: true },
      handler: echoPeer,
    });
    try {
      const res = await fetch(server.url, { tls: { ca: custom.caCert, cert: custom.clientCert, key: custom.clientKey } });
      expect(((await res.json()) as { peer: unknown }).peer).toEqual({
        commonName: "operator",
        organizations: ["kode:operators"],
      });
    } finally {
      await server.stop();
    }
  });

  test("the server certificate is rejected by a client that does not trust our CA", async () => {
    await withServer("https", echoPeer, async (server) => {
      expect(fetch(server.url, { tls: { ca: foreign.caCert } })).rejects.toThrow();
    });
  });

  for (const mode of modes) {
    test(`${mode}: a streaming response arrives chunk by chunk`, async () => {
      const handler = () => new Response(timedLines([[0, "first\n"], [1000, "second\n"]]));
      await withServer(mode, handler, async (server) => {
        const sent = performance.now();
        const res = await fetch(server.url, withClientCert());
        const headersAt = performance.now() - sent;
        const chunks = await readTimed(res.body!, sent);
        expect(headersAt).toBeLessThan(500);
        expect(chunks.map((c) => c.text).join("")).toBe("first\nsecond\n");
        expect(chunks[0].text).toBe("first\n");
        expect(chunks[0].at).toBeLessThan(500);
        expect(chunks.at(-1)!.at).toBeGreaterThan(900);
      });
    });
  }

  test("withHeadersSentAtOnce: a quiet JSON stream's headers go out at once", async () => {
    for (const mode of modes) {
      const body = () => new Response(withHeadersSentAtOnce(timedLines([[1500, '{"late":true}\n']])));
      await withServer(mode, body, async (server) => {
        const sent = performance.now();
        const res = await fetch(server.url, withClientCert());
        expect(performance.now() - sent).toBeLessThan(1000);
        expect(await res.text()).toBe('\n{"late":true}\n');
      });
    }
  });

  test("withHeadersSentAtOnce: cancelling the wrapper cancels the source", async () => {
    const state = { cancelled: false };
    const wrapped = withHeadersSentAtOnce(timedLines([[0, "a\n"], [60_000, "b\n"]], state));
    const reader = wrapped.getReader();
    expect((await reader.read()).value).toEqual(new Uint8Array([0x0a]));
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("a\n");
    await reader.cancel();
    expect(state.cancelled).toBe(true);
  });

  test(
    "an idle stream is not cut after 12 s",
    async () => {
      await Promise.all(
        modes.map((mode) =>
          withServer(mode, () => new Response(timedLines([[0, "a\n"], [12_000, "b\n"]])), async (server) => {
            const sent = performance.now();
            const res = await fetch(server.url, withClientCert());
            const chunks = await readTimed(res.body!, sent);
            expect(chunks.map((c) => c.text).join("")).toBe("a\nb\n");
            expect(chunks.at(-1)!.at).toBeGreaterThan(11_900);
          }),
        ),
      );
    },
    { timeout: 20_000 },
  );

  for (const mode of modes) {
    test(`${mode}: stop() ends open streams and cancels them on the server`, async () => {
      const state = { cancelled: false };
      const server = await start(mode, () => new Response(timedLines([[0, "open\n"], [60_000, "never\n"]], state)));
      const res = await fetch(server.url, withClientCert());
      const reader = res.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe("open\n");
      const stopped = performance.now();
      await server.stop();
      // The client sees the stream end (or fail), not hang.
      const rest = await reader.read().then(
        (r) => (r.done ? "ended" : "data"),
        () => "errored",
      );
      expect(rest).not.toBe("data");
      expect(performance.now() - stopped).toBeLessThan(2000);
      await Bun.sleep(50);
      expect(state.cancelled).toBe(true);
      // Nothing listens any more.
      expect(fetch(server.url, withClientCert())).rejects.toThrow();
    });
  }

  for (const mode of modes) {
    test(`${mode}: a client that goes away cancels its stream on the server`, async () => {
      const state = { cancelled: false };
      await withServer(mode, () => new Response(timedLines([[0, "open\n"], [60_000, "never\n"]], state)), async (server) => {
        const abort = new AbortController();
        const res = await fetch(server.url, { signal: abort.signal, ...withClientCert() });
        const reader = res.body!.getReader();
        await reader.read();
        abort.abort();
        for (let waited = 0; !state.cancelled && waited < 2000; waited += 20) await Bun.sleep(20);
        expect(state.cancelled).toBe(true);
      });
    });
  }

  for (const mode of modes) {
    test(`${mode}: keep-alive serves several requests on one connection`, async () => {
      await withServer(mode, echoPeer, async (server) => {
        const responses = await rawRequests(server.port, mode !== "http", ["/one", "/two", "/three"]);
        expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
        expect(responses.map((r) => (JSON.parse(r.body) as { path: string }).path)).toEqual(["/one", "/two", "/three"]);
        if (mode === "https+client-cert") {
          for (const r of responses) expect((JSON.parse(r.body) as { peer: unknown }).peer).toMatchObject({ commonName: "admin" });
        }
      });
    });
  }

  test("https+client-cert: large request and response bodies pass through intact", async () => {
    const size = 8 * 1024 * 1024;
    const handler: PeerAwareHandler = async (req) => {
      const bytes = new Uint8Array(await req.arrayBuffer());
      return new Response(bytes.reverse());
    };
    await withServer("https+client-cert", handler, async (server) => {
      const sent = crypto.getRandomValues(new Uint8Array(size / 16)).map((_, i) => i % 251);
      const payload = new Uint8Array(size);
      for (let i = 0; i < size; i += sent.length) payload.set(sent, i);
      const res = await fetch(server.url, { method: "POST", body: payload, ...withClientCert() });
      const got = new Uint8Array(await res.arrayBuffer());
      expect(got.length).toBe(size);
      expect(Buffer.compare(got, payload.slice().reverse())).toBe(0);
    });
  });

  for (const mode of modes) {
    test(`${mode}: a handler that throws gives a 500 InternalError Status`, async () => {
      const handler = () => {
        throw new Error("boom");
      };
      await withServer(mode, handler, async (server) => {
        const res = await fetch(server.url, withClientCert());
        expect(res.status).toBe(500);
        expect(await res.json()).toMatchObject({ kind: "Status", reason: "InternalError", code: 500 });
      });
    });
  }
});

describe("peerIdentityFromSubject", () => {
  test("CN is the user, every O a group", () => {
    expect(peerIdentityFromSubject({ CN: "alice", O: ["dev", "ops"] })).toEqual({
      commonName: "alice",
      organizations: ["dev", "ops"],
    });
    expect(peerIdentityFromSubject({ CN: "bob" })).toEqual({ commonName: "bob", organizations: [] });
  });

  test("no CN means no identity", () => {
    expect(peerIdentityFromSubject({ O: "dev" })).toBeUndefined();
    expect(peerIdentityFromSubject({ CN: "" })).toBeUndefined();
    expect(peerIdentityFromSubject(undefined)).toBeUndefined();
  });

  test("with several CNs the last wins, as in Go's pkix.Name", () => {
    expect(peerIdentityFromSubject({ CN: ["first", "last"] })?.commonName).toBe("last");
  });
});

/** Sends GETs one after another on a single (TLS) connection; parses each Content-Length response. */
async function rawRequests(port: number, useTls: boolean, paths: string[]) {
  let buffered = "";
  let wake: (() => void) | undefined;
  let closed = false;
  // A Bun TLS client socket drops (returns 0 for) writes made before its handshake completes.
  const { promise: ready, resolve: markReady } = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    tls: useTls ? { ca: material.caCert, cert: material.clientCert, key: material.clientKey, serverName: "localhost" } : undefined,
    socket: {
      open() {
        if (!useTls) markReady();
      },
      handshake(_s, success) {
        if (success) markReady();
      },
      data(_s, chunk) {
        buffered += chunk.toString();
        wake?.();
      },
      close() {
        closed = true;
        wake?.();
      },
    },
  });
  const responses: { status: number; body: string }[] = [];
  await ready;
  try {
    for (const path of paths) {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      for (;;) {
        const parsed = takeResponse(buffered);
        if (parsed) {
          buffered = parsed.rest;
          responses.push(parsed.response);
          break;
        }
        if (closed) throw new Error(`connection closed after ${responses.length} responses`);
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
  } finally {
    socket.end();
  }
  return responses;
}

function takeResponse(text: string) {
  const headerEnd = text.indexOf("\r\n\r\n");
  if (headerEnd < 0) return undefined;
  const head = text.slice(0, headerEnd);
  const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
  if (Number.isNaN(length) || text.length < headerEnd + 4 + length) return undefined;
  const status = Number(head.split(" ")[1]);
  const body = text.slice(headerEnd + 4, headerEnd + 4 + length);
  return { response: { status, body }, rest: text.slice(headerEnd + 4 + length) };
}
