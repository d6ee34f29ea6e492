// pods/log, exec, attach and portforward: NotFound naming a missing pod; a registered log for an existing
// one (or the error of a cluster whose kubelet cannot be reached); exec/attach/portforward fail at once.
import { describe, expect, test } from "bun:test";
import { useApiServer } from "../testing.ts";

const PODS = "/api/v1/namespaces/default/pods";

const pod = (name: string, containers: string[], nodeName?: string) => ({
  metadata: { name },
  spec: { ...(nodeName ? { nodeName } : {}), containers: containers.map((c) => ({ name: c, image: "busybox:1.36" })) },
});

async function text(ctx: ReturnType<typeof useApiServer>, path: string, method = "GET") {
  const token = /token: (\S+)/.exec(ctx.server.kubeconfig)?.[1];
  const res = await fetch(`${ctx.server.url}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
}

describe("pod subresources", () => {
  const ctx = useApiServer();

  test("every subresource of a missing pod is NotFound naming the pod", async () => {
    for (const sub of ["log", "exec", "attach", "portforward"]) {
      const res = await ctx.client.request(sub === "log" ? "GET" : "POST", `${PODS}/ghost/${sub}`);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ reason: "NotFound", message: 'pods "ghost" not found', details: { name: "ghost", kind: "pods" } });
    }
  });

  test("log serves what a test registered, with tailLines, limitBytes and timestamps", async () => {
    await ctx.client.post(PODS, pod("web", ["main"], "node-1"));
    ctx.server.hooks.setPodLog("default", "web", "line 1\nline 2\nline 3\n");
    const all = await text(ctx, `${PODS}/web/log`);
    expect(all).toMatchObject({ status: 200, body: "line 1\nline 2\nline 3\n" });
    expect(all.type).toStartWith("text/plain");
    expect((await text(ctx, `${PODS}/web/log?tailLines=2`)).body).toBe("line 2\nline 3\n");
    expect((await text(ctx, `${PODS}/web/log?limitBytes=4`)).body).toBe("line");
    expect((await text(ctx, `${PODS}/web/log?container=main&follow=true`)).body).toBe("line 1\nline 2\nline 3\n");
    const stamped = (await text(ctx, `${PODS}/web/log?timestamps=true&tailLines=1`)).body;
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000000Z line 3\n$/);
  });

  test("the HTTP hook registers a log per container", async () => {
    await ctx.client.post(PODS, pod("two", ["app", "sidecar"], "node-1"));
    expect((await ctx.client.post("/__kode/hooks/pod-log", { namespace: "default", pod: "two", container: "sidecar", log: "from sidecar\n" })).status).toBe(201);
    expect((await text(ctx, `${PODS}/two/log?container=sidecar`)).body).toBe("from sidecar\n");
  });

  test("container errors as the apiserver words them", async () => {
    const which = await ctx.client.get(`${PODS}/two/log`);
    expect(which.status).toBe(400);
    expect(which.body.message).toBe("a container name must be specified for pod two, choose one of: [app sidecar]");
    const unknown = await ctx.client.get(`${PODS}/two/log?container=nope`);
    expect(unknown.body.message).toBe("container nope is not valid for pod two");
    const previous = await ctx.client.get(`${PODS}/web/log?previous=true`);
    expect(previous.body.message).toBe('previous terminated container "main" in pod "web" not found');
  });

  test("an unscheduled pod has no host; a scheduled one without a registered log reports the unreachable kubelet", async () => {
    await ctx.client.post(PODS, pod("pending", ["main"]));
    const pending = await ctx.client.get(`${PODS}/pending/log`);
    expect(pending.status).toBe(400);
    expect(pending.body.message).toBe("pod pending does not have a host assigned");
    await ctx.client.post(PODS, pod("quiet", ["main"], "node-1"));
    const quiet = await ctx.client.get(`${PODS}/quiet/log`);
    expect(quiet.status).toBe(500);
    expect(quiet.body.reason).toBe("InternalError");
    expect(quiet.body.message).toStartWith('Get "https://node-1:10250/containerLogs/default/quiet/main": no kubelet is reachable');
  });

  test("exec, attach and portforward of an existing pod answer 400 at once", async () => {
    for (const [sub, query] of [["exec", "?command=ls&container=main&stdout=true"], ["attach", "?container=main&stdout=true"], ["portforward", "?ports=8080"]]) {
      for (const method of ["GET", "POST"]) {
        const res = await ctx.client.request(method, `${PODS}/web/${sub}${query}`);
        expect(`${sub} ${method} ${res.status}`).toBe(`${sub} ${method} 400`);
        expect(res.body.message).toContain("the kode test API server has no kubelet and runs no containers");
      }
    }
    expect((await ctx.client.request("DELETE", `${PODS}/web/log`)).status).toBe(405);
  });
});
