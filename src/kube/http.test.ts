import { afterEach, describe, expect, test } from "bun:test";
import { parseAddress, startOperatorHttp, type OperatorHttp } from "./http.ts";
import { Registry } from "./metrics.ts";

let servers: OperatorHttp[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

function start(opts: Partial<Parameters<typeof startOperatorHttp>[0]> & { ready?: () => boolean | string }) {
  const registry = opts.registry ?? new Registry({ processMetrics: false });
  const s = startOperatorHttp({
    healthAddress: opts.healthAddress ?? "127.0.0.1:0",
    metricsAddress: opts.metricsAddress ?? "127.0.0.1:0",
    registry,
    checks: opts.checks ?? { ready: opts.ready ?? (() => true) },
  });
  servers.push(s);
  return s;
}

describe("startOperatorHttp", () => {
  test("health and metrics on separate servers", async () => {
    const registry = new Registry({ processMetrics: false });
    registry.counter("hits_total", "Hits.").inc();
    let ready: boolean | string = "informers not synced";
    const s = start({ registry, ready: () => ready });
    expect(s.healthUrl).not.toBe(s.metricsUrl);

    const healthz = await fetch(`${s.healthUrl}/healthz`);
    expect([healthz.status, await healthz.text()]).toEqual([200, "ok"]);
    const notReady = await fetch(`${s.healthUrl}/readyz`);
    expect([notReady.status, await notReady.text()]).toEqual([503, "informers not synced"]);
    ready = true;
    const readyz = await fetch(`${s.healthUrl}/readyz`);
    expect([readyz.status, await readyz.text()]).toEqual([200, "ok"]);
    ready = false;
    expect((await fetch(`${s.healthUrl}/readyz`)).status).toBe(503);

    const metrics = await fetch(`${s.metricsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(await metrics.text()).toContain("hits_total 1\n");

    // Each server answers only its own paths.
    expect((await fetch(`${s.healthUrl}/metrics`)).status).toBe(404);
    expect((await fetch(`${s.metricsUrl}/healthz`)).status).toBe(404);
    expect((await fetch(`${s.healthUrl}/healthz`, { method: "POST" })).status).toBe(405);
  });

  test("one server when the addresses are the same", async () => {
    const port = await freePort();
    const s = start({ healthAddress: `127.0.0.1:${port}`, metricsAddress: `127.0.0.1:${port}` });
    expect(s.healthUrl).toBe(`http://127.0.0.1:${port}`);
    expect(s.metricsUrl).toBe(s.healthUrl);
    expect((await fetch(`${s.healthUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${s.healthUrl}/metrics`)).status).toBe(200);
    expect((await fetch(`${s.healthUrl}/readyz`)).status).toBe(200);
  });

  test("liveness check and throwing checks", async () => {
    const s = start({
      checks: {
        ready: () => {
          throw new Error("boom");
        },
        live: () => false,
      },
    });
    const live = await fetch(`${s.healthUrl}/healthz`);
    expect([live.status, await live.text()]).toEqual([503, "not live"]);
    const ready = await fetch(`${s.healthUrl}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([503, "check failed: boom"]);
  });

  test("metrics disabled with address 0", async () => {
    const s = start({ metricsAddress: "0" });
    expect(s.metricsUrl).toBeUndefined();
    expect((await fetch(`${s.healthUrl}/healthz`)).status).toBe(200);
  });

  test("stop closes the listeners", async () => {
    const s = start({});
    await s.stop();
    await s.stop();
    expect(fetch(`${s.healthUrl}/healthz`)).rejects.toThrow();
  });

  test("parseAddress", () => {
    expect(parseAddress(":8081")).toEqual({ hostname: "0.0.0.0", port: 8081 });
    expect(parseAddress("127.0.0.1:0")).toEqual({ hostname: "127.0.0.1", port: 0 });
    expect(parseAddress("[::1]:9090")).toEqual({ hostname: "::1", port: 9090 });
    expect(() => parseAddress("8081")).toThrow(/want host:port/);
    expect(() => parseAddress("x:99999")).toThrow(/out of range/);
  });
});

async function freePort(): Promise<number> {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = s.port!;
  await s.stop(true);
  return port;
}
