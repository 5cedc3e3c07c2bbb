// Standard output for listings of any size: lines gathered into chunks, each
// written with a wait for a slow reader, so memory stays flat however long the
// listing is; a reader that goes away (`| head`) ends the listing, not the process.

const CHUNK = 64 * 1024;

/** Thrown out of a listing when its reader has closed the pipe: the command ends quietly, exit 0. */
export class OutputClosed extends Error {
  constructor() {
    super('standard output was closed');
    this.name = 'OutputClosed';
  }
}

let closed = false;

/**
 * From now on an early-closed stdout (EPIPE) ends the process quietly with exit 0,
 * whatever is writing; listings notice it at their next chunk and stop reading.
 */
export function quietOnClosedPipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
    // Writes already queued would fail the same way; nothing more can reach the reader.
    setImmediate(() => process.exit(0));
  });
}

export class Sink {
  private parts: string[] = [];
  private size = 0;
  private readonly out: NodeJS.WriteStream;

  constructor(out: NodeJS.WriteStream = process.stdout) {
    this.out = out;
  }

  /** Queues one line (without its newline); true once a chunk's worth waits for flush(). */
  line(text: string): boolean {
    this.parts.push(text, '\n');
    this.size += text.length + 1;
    return this.size >= CHUNK;
  }

  /** Writes what is queued once a chunk's worth is there (or always, with `force`), waiting for the reader. */
  async flush(force = false): Promise<void> {
    if (closed) throw new OutputClosed();
    if (!this.size || (!force && this.size < CHUNK)) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    const ready = this.out.write(text);
    // Give a failed write's error event its turn, and a pipe that is full time to drain.
    await new Promise<void>((resolve) => {
      if (ready) return setImmediate(resolve);
      const done = () => {
        this.out.off('drain', done).off('error', done);
        resolve();
      };
      this.out.on('drain', done).on('error', done);
    });
    if (closed) throw new OutputClosed();
  }
}
