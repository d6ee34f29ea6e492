// Drives a kernel of a real Jupyter server the way JupyterLab does: start it, open its channels websocket, ask
// kernel_info until the kernel answers, then run a cell. It returns once the kernel has said (on iopub) that it is
// busy with that very cell, so a test never mistakes the brief busy of a kernel_info for the cell, nor a request
// dropped while the kernel was starting for a running one. The channels stay open (one connection) until close().

const QUIET_MS = 1000;

type Message = { header?: { msg_type?: string }; parent_header?: { msg_id?: string }; content?: { execution_state?: string } };

export type RunningCell = {
  /** Resolves when the kernel reports idle after the cell. */
  finished: Promise<void>;
  /** Closes the channels and shuts the kernel down. */
  close(): Promise<void>;
};

/** Whether `p` settles within `ms` (the timer is cleared either way). */
async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runCell(base: string, code: string, opts: { token?: string; timeoutMs?: number } = {}): Promise<RunningCell> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const headers: Record<string, string> = opts.token ? { Authorization: `token ${opts.token}` } : {};
  const res = await fetch(`${base}/api/kernels`, { method: "POST", headers, body: JSON.stringify({ name: "python3" }) });
  if (!res.ok) throw new Error(`starting a kernel: HTTP ${res.status}`);
  const { id } = (await res.json()) as { id: string };
  const ws = new WebSocket(`${base.replace("http", "ws")}/api/kernels/${id}/channels${opts.token ? `?token=${opts.token}` : ""}`);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("the kernel channels websocket did not open"));
  });

  const waiters: { match: (m: Message) => boolean; resolve: () => void }[] = [];
  let lastMessageAt = Date.now();
  ws.onmessage = (ev) => {
    lastMessageAt = Date.now();
    const m = JSON.parse(String(ev.data)) as Message;
    for (const w of [...waiters]) if (w.match(m)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const when = (match: (m: Message) => boolean) => new Promise<void>((resolve) => waiters.push({ match, resolve }));
  const session = crypto.randomUUID();
  const send = (msg_type: string, content: object) => {
    const msg_id = crypto.randomUUID();
    ws.send(JSON.stringify({ header: { msg_id, username: "test", session, msg_type, version: "5.3", date: new Date().toISOString() },
      parent_header: {}, metadata: {}, channel: "shell", buffers: [], content }));
    return msg_id;
  };
  const repliedTo = (msgId: string, type: string) => (m: Message) => m.parent_header?.msg_id === msgId && m.header?.msg_type === type;
  const status = (msgId: string, state: string) => (m: Message) =>
    m.parent_header?.msg_id === msgId && m.header?.msg_type === "status" && m.content?.execution_state === state;

  // A request sent while the kernel is still starting can be dropped, so kernel_info is asked again until answered.
  const deadline = Date.now() + timeoutMs;
  for (let answered = false; !answered; ) {
    if (Date.now() > deadline) throw new Error(`the kernel did not answer kernel_info within ${timeoutMs} ms`);
    const asked = send("kernel_info_request", {});
    answered = await within(when(repliedTo(asked, "kernel_info_reply")), 2000);
  }
  // The server nudges a new connection with kernel_info requests on shell and control until it hears from the
  // kernel. A control request answered while the cell runs reports "idle" to the server's activity monitor
  // (jupyter_server 1.x), so the server would show the running cell as idle: wait until the kernel is quiet.
  while (Date.now() - lastMessageAt < QUIET_MS) {
    if (Date.now() > deadline) throw new Error(`the kernel did not go quiet within ${timeoutMs} ms`);
    await Bun.sleep(100);
  }
  const cell = send("execute_request", { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true });
  const finished = when(status(cell, "idle"));
  const started = await within(when(status(cell, "busy")), Math.max(0, deadline - Date.now()));
  if (!started) throw new Error(`the kernel did not start the cell within ${timeoutMs} ms`);
  return {
    finished,
    close: async () => {
      ws.close();
      await fetch(`${base}/api/kernels/${id}`, { method: "DELETE", headers }).catch(() => {});
    },
  };
}
