// Ctrl+C and SIGTERM. A command with nothing to finish leaves them to the system, which
// ends the process at once, even in the middle of a long scan (a handler here would wait
// for synchronous engine work to return), with the status a shell reads as interrupted
// (130, or 143 for SIGTERM). Only what has something to do first hears them: a job
// cancels and removes its partial files; tail and serve stop cleanly.
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Calls `handler` on Ctrl+C or SIGTERM until the returned function is called. */
export function onInterrupt(handler: () => void): () => void {
  for (const s of SIGNALS) process.on(s, handler);
  return () => {
    for (const s of SIGNALS) process.off(s, handler);
  };
}
