// Test support: a kernel of a real Jupyter server driven over its websocket channel, as JupyterLab drives it.

export interface KernelChannel {
  /** Send a shell-channel message (kernel_info_request, execute_request, ...). */
  send(msgType: string, content: object): void;
  close(): void;
}

/** Open the channels websocket of kernel `id` on the server at `base` (http://host:port) with `token`. */
export async function openKernelChannel(base: string, id: string, token: string): Promise<KernelChannel> {
  const ws = new WebSocket(`${base.replace("http", "ws")}/api/kernels/${id}/channels?token=${token}`);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const session = crypto.randomUUID();
  return {
    send: (msg_type, content) =>
      ws.send(
        JSON.stringify({
          header: { msg_id: crypto.randomUUID(), username: "test", session, msg_type, version: "5.3", date: new Date().toISOString() },
          parent_header: {},
          metadata: {},
          channel: "shell",
          buffers: [],
          content,
        }),
      ),
    close: () => ws.close(),
  };
}
