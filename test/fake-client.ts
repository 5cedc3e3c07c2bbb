// A fake engine built from the contract's own types: each handler is typed by the
// call it answers, and the client is the real createClient over an in-memory transport.
import { createClient, errorResponse, type Args, type Client, type Method, type Push, type Result } from '../src/shared/contract.ts';

export type FakeHandlers = { [M in Method]?: (args: Args<M>) => Result<M> | Promise<Result<M>> };

export function fakeClient(handlers: FakeHandlers): { client: Client; push: (p: Push) => void; calls: Array<{ method: string; args: unknown }> } {
  const listeners = new Set<(p: Push) => void>();
  const calls: Array<{ method: string; args: unknown }> = [];
  const client = createClient({
    async request(req) {
      calls.push({ method: req.method, args: req.args });
      const h = handlers[req.method as Method] as ((a: unknown) => unknown) | undefined;
      if (!h) return { id: req.id, ok: true, result: null };
      try {
        return { id: req.id, ok: true, result: await h(req.args) };
      } catch (e) {
        return errorResponse(req.id, e);
      }
    },
    subscribe(h) {
      listeners.add(h);
      return () => listeners.delete(h);
    },
  });
  return { client, push: (p) => listeners.forEach((l) => l(p)), calls };
}
