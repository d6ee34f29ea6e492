// Helpers for tests that talk to the API server over real HTTP.
import { afterAll, beforeAll } from "bun:test";
import { startApiServer, type ApiServer, type ApiServerOptions } from "./server.ts";

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class TestClient {
  /** The server's bearer token (from its kubeconfig), sent when the server requires one. */
  private readonly auth: Record<string, string>;

  constructor(
    readonly server: ApiServer,
    private userAgent = "kode-tests/1.0",
  ) {
    const token = /^\s+token: (\S+)$/m.exec(server.kubeconfig)?.[1];
    this.auth = token ? { authorization: `Bearer ${token}` } : {};
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
    const init: RequestInit & { tls?: unknown } = {
      method,
      headers: { "user-agent": this.userAgent, accept: "application/json", ...this.auth, ...headers },
    };
    if (body !== undefined) {
      init.body = typeof body === "string" || body instanceof Uint8Array ? (body as any) : JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] ??= "application/json";
    }
    if (this.server.tls) init.tls = { ca: this.server.tls.caCert, cert: this.server.tls.clientCert, key: this.server.tls.clientKey };
    const res = await fetch(`${this.server.url}${path}`, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get = <T = any>(path: string, headers?: Record<string, string>) => this.request<T>("GET", path, undefined, headers);
  post = <T = any>(path: string, body: unknown, headers?: Record<string, string>) => this.request<T>("POST", path, body, headers);
  put = <T = any>(path: string, body: unknown, headers?: Record<string, string>) => this.request<T>("PUT", path, body, headers);
  delete = <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => this.request<T>("DELETE", path, body, headers);
  patch = <T = any>(path: string, body: unknown, type = "application/merge-patch+json", headers: Record<string, string> = {}) =>
    this.request<T>("PATCH", path, body, { ...headers, "content-type": type });

  /** Read a watch stream until `until` returns true for the collected events or `ms` pass. */
  async watch(path: string, until: (events: any[]) => boolean, ms = 5000, headers: Record<string, string> = {}): Promise<any[]> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    const events: any[] = [];
    try {
      const res = await fetch(`${this.server.url}${path}`, {
        headers: { "user-agent": this.userAgent, ...this.auth, ...headers },
        signal: controller.signal,
        ...(this.server.tls ? { tls: { ca: this.server.tls.caCert, cert: this.server.tls.clientCert, key: this.server.tls.clientKey } } : {}),
      } as RequestInit);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      while (!until(events)) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) events.push(JSON.parse(line));
        }
      }
      reader.cancel().catch(() => {});
    } catch (e) {
      if ((e as Error).name !== "AbortError") throw e;
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    return events;
  }
}

/** Start a server for the enclosing describe block; the returned object is filled in beforeAll. */
export function useApiServer(opts: ApiServerOptions = {}): { server: ApiServer; client: TestClient } {
  const ctx = {} as { server: ApiServer; client: TestClient };
  beforeAll(async () => {
    ctx.server = await startApiServer(opts);
    ctx.client = new TestClient(ctx.server);
  });
  afterAll(async () => {
    await ctx.server?.stop();
  });
  return ctx;
}

/** The Widget CRD used throughout the tests (mirrors the reference fixture). */
export function widgetCrd(overrides: Record<string, unknown> = {}) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", shortNames: ["wd"] },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "Size", type: "integer", jsonPath: ".spec.size" },
            { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: {
                  type: "object",
                  properties: {
                    size: { type: "integer", minimum: 1, default: 3 },
                    color: { type: "string", enum: ["red", "green", "blue"] },
                    tags: { type: "array", items: { type: "string" } },
                  },
                },
                status: {
                  type: "object",
                  properties: {
                    conditions: {
                      type: "array",
                      items: {
                        type: "object",
                        properties: { type: { type: "string" }, status: { type: "string" }, reason: { type: "string" } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
    ...overrides,
  };
}

export const WIDGETS = "/apis/example.com/v1/namespaces/default/widgets";
