// For programs that start `kode apiserver` as a child process (benchmarks, durability tests).

/**
 * Reads the child's stdout until it prints "listening on <url>" and returns the URL; afterwards stdout keeps
 * being drained, since a full pipe would block the server. Throws with what was printed when the stream
 * ends first or `timeoutMs` passes.
 */
export async function waitForListening(stdout: ReadableStream<Uint8Array>, timeoutMs = 30_000): Promise<string> {
  const reader = stdout.getReader();
  const decoder = new TextDecoder();
  let out = "";
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => {});
  }, timeoutMs);
  try {
    for (;;) {
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        void (async () => {
          for (;;) if ((await reader.read()).done) break;
        })().catch(() => {});
        return m[1];
      }
      const { done, value } = await reader.read();
      if (done) throw new Error(`${timedOut ? `no URL after ${timeoutMs} ms` : "exited before listening"}; output:\n${out}`);
      out += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
  }
}
