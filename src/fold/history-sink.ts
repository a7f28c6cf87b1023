import type { HistoryStore } from '../ports/history.js';
import { createHistoryWriter } from './history-writer.js';
import type { FoldSink } from './sink.js';

export interface HistorySinkOptions {
  history: HistoryStore;
  flushRows: number;
  flushMs: number;
}

/** History: the rows of concurrently folded batches gathered into one insert. */
export function createHistorySink(options: HistorySinkOptions): FoldSink {
  const { history } = options;
  let open = 0;
  const writer = createHistoryWriter({
    history,
    flushRows: options.flushRows,
    flushMs: options.flushMs,
    activeWriters: () => open,
  });
  return {
    name: 'history',
    offsets: (partitions) => history.offsets(partitions),
    begin() {
      open++;
      // A failed insert may have landed before the failure was seen: until the store has said
      // what it holds, writing again could double it. The question itself may fail too (the store
      // is away), so it is asked at the start of every attempt after a failed one.
      let uncertain = false;
      return {
        async write(batch) {
          let { events } = batch;
          if (uncertain) {
            const [stored] = await history.offsets([batch]);
            events = events.filter((event) => event.offset > stored!);
          }
          uncertain = true;
          await writer.write(events);
          uncertain = false;
        },
        done() {
          open--;
          writer.left();
        },
      };
    },
  };
}
