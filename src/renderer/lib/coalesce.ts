/**
 * A refresh that never queues up behind itself: called while a run is under way, it
 * runs once more after that run, however many calls came in between. Pushes (a JSONL
 * store being indexed, a followed ledger) ask for refreshes faster than a big ledger
 * answers them; queued, the engine's lane fell half a minute behind the ledger.
 */
export function coalesced(task: () => Promise<unknown>): () => void {
  let running = false;
  let again = false;
  const run = () => {
    running = true;
    void task()
      .catch(() => {})
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          run();
        }
      });
  };
  return () => {
    if (running) again = true;
    else run();
  };
}
