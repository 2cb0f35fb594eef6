/** Polls until `done()` holds, or fails with the message after `timeoutMs`. */
export async function waitUntil(
  done: () => boolean,
  timeoutMs: number,
  failure: string | (() => string),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(typeof failure === 'string' ? failure : failure());
    await new Promise((r) => setTimeout(r, 10));
  }
}
