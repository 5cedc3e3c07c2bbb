// Ledgers written the way the frameworks people use write them: a LangGraph checkpoint
// database written by the real library, and an Emmett event store made with its
// published schema and rows shaped as its appendToStream writes them.
import { Annotation, Command, END, interrupt, START, StateGraph } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import Database from 'better-sqlite3';
import crypto from 'node:crypto';

/**
 * A small graph through LangGraph's SqliteSaver: plan -> fetch -> review. `fetch` fails
 * the first time (the run stops with the error recorded), and succeeds when the thread
 * is resumed; `review` interrupts for approval and is resumed with a Command.
 * A second thread runs straight through.
 */
export async function writeLangGraph(file: string): Promise<void> {
  const saver = SqliteSaver.fromConnString(file);
  const State = Annotation.Root({
    items: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
    approved: Annotation<boolean>(),
  });
  let fetches = 0;
  let failFirst = true;
  const graph = new StateGraph(State)
    .addNode('plan', () => ({ items: ['planned'] }))
    .addNode('fetch', () => {
      fetches++;
      if (failFirst && fetches === 1) throw new Error('upstream timed out');
      return { items: ['fetched'] };
    })
    .addNode('review', () => ({ approved: interrupt({ question: 'approve?' }) as boolean, items: ['reviewed'] }))
    .addEdge(START, 'plan')
    .addEdge('plan', 'fetch')
    .addEdge('fetch', 'review')
    .addEdge('review', END)
    .compile({ checkpointer: saver });
  const t1 = { configurable: { thread_id: 'thread-1' } };
  await graph.invoke({ items: [] }, t1).catch((e: Error) => {
    if (e.message !== 'upstream timed out') throw e;
  });
  await graph.invoke(null, t1); // resumes: fetch runs again and succeeds, review interrupts
  await graph.invoke(new Command({ resume: true }), t1);
  failFirst = false;
  const t2 = { configurable: { thread_id: 'thread-2' } };
  await graph.invoke({ items: [] }, t2);
  await graph.invoke(new Command({ resume: false }), t2);
  saver.db.close();
}

/** Emmett's emt_messages and emt_streams DDL (emmett-sqlite, eventStore/schema/tables.ts). */
export const EMMETT_DDL = `
CREATE TABLE IF NOT EXISTS emt_streams(
      stream_id         TEXT                      NOT NULL,
      stream_position   BIGINT                    NOT NULL DEFAULT 0,
      partition         TEXT                      NOT NULL DEFAULT 'global',
      stream_type       TEXT                      NOT NULL,
      stream_metadata   JSONB                     NOT NULL,
      is_archived       BOOLEAN                   NOT NULL DEFAULT FALSE,
      PRIMARY KEY (stream_id, partition, is_archived),
      UNIQUE (stream_id, partition, is_archived)
  );
CREATE TABLE IF NOT EXISTS emt_messages(
      stream_id              TEXT                      NOT NULL,
      stream_position        BIGINT                    NOT NULL,
      partition              TEXT                      NOT NULL DEFAULT 'global',
      message_kind           CHAR(1)                   NOT NULL DEFAULT 'E',
      message_data           JSONB                     NOT NULL,
      message_metadata       JSONB                     NOT NULL,
      message_schema_version TEXT                      NOT NULL,
      message_type           TEXT                      NOT NULL,
      message_id             TEXT                      NOT NULL,
      is_archived            BOOLEAN                   NOT NULL DEFAULT FALSE,
      global_position        INTEGER                   PRIMARY KEY,
      created                DATETIME                  DEFAULT CURRENT_TIMESTAMP,
      UNIQUE (stream_id, stream_position, partition, is_archived)
  );`;

/** Appends a batch to a stream as appendToStream does: the stream row, then the messages with their metadata. */
export function emmettAppend(db: Database.Database, streamId: string, streamType: string, events: Array<{ type: string; data: object }>): void {
  const current = (db.prepare('SELECT stream_position FROM emt_streams WHERE stream_id = ?').pluck().get(streamId) as number | undefined) ?? 0;
  db.transaction(() => {
    if (current === 0)
      db.prepare("INSERT INTO emt_streams (stream_id, stream_position, partition, stream_type, stream_metadata, is_archived) VALUES (?, ?, 'emt:default', ?, '[]', false)").run(streamId, events.length, streamType);
    else db.prepare('UPDATE emt_streams SET stream_position = stream_position + ? WHERE stream_id = ?').run(events.length, streamId);
    const insert = db.prepare(
      'INSERT INTO emt_messages (stream_id, stream_position, partition, message_kind, message_data, message_metadata, message_schema_version, message_type, message_id, is_archived) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    events.forEach((e, i) => {
      const messageId = crypto.randomUUID();
      const metadata = { streamName: streamId, messageId, streamPosition: String(i + 1) };
      insert.run(streamId, current + i + 1, 'emt:default', 'E', JSON.stringify(e.data), JSON.stringify(metadata), String(current), e.type, messageId, 0);
    });
  })();
}

/** Two order streams: one placed, paid and shipped; one whose payment failed, then archived. */
export function writeEmmett(file: string): void {
  const db = new Database(file);
  db.exec(EMMETT_DDL);
  emmettAppend(db, 'order-1', 'order', [
    { type: 'OrderPlaced', data: { orderId: 'order-1', amount: 12.5 } },
    { type: 'PaymentSucceeded', data: { orderId: 'order-1' } },
  ]);
  emmettAppend(db, 'order-2', 'order', [{ type: 'OrderPlaced', data: { orderId: 'order-2', amount: 99 } }]);
  emmettAppend(db, 'order-1', 'order', [{ type: 'OrderCompleted', data: { orderId: 'order-1' } }]);
  emmettAppend(db, 'order-2', 'order', [{ type: 'PaymentFailed', data: { orderId: 'order-2', error: 'card declined' } }]);
  db.prepare("UPDATE emt_messages SET is_archived = 1 WHERE stream_id = 'order-2' AND stream_position = 1").run();
  db.close();
}
