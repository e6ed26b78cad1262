import type { CursorCodec } from "./cursors.js";
import {
  ANCHORS,
  type ConnectionArgs,
  type Edge,
  forwardPageSize,
  locate,
  type Taken,
  type TokenCursor,
  tokenCursor,
  Walk,
  type Window,
  type WindowSource,
} from "./pagination.js";

/** A token connection whose edges arrive window by window (for `edges @stream`). */
export interface StreamedConnection<T> {
  edges: AsyncIterable<Edge<T>>;
  pageInfo: {
    readonly hasNextPage: Promise<boolean>;
    hasPreviousPage: boolean;
    readonly startCursor: Promise<string | null>;
    readonly endCursor: Promise<string | null>;
  };
}

/**
 * The same walk as resolveTokenConnection, the same cursors and hasNextPage, but nothing waits for the whole page:
 * `edges` yields each MTurk window's items as soon as that window arrives, so a client streaming the edges sees
 * the first ones after one upstream round trip. pageInfo needs the page's end, so it resolves last (select it
 * under @defer to keep it out of the first payload). An edge's cursor names the items after it: for the last
 * few items of a window it waits for the next window, as the non-streamed cursor would have.
 */
export function streamTokenConnection<T>(options: {
  codec: CursorCodec;
  scope: string;
  args: ConnectionArgs;
  maxPageSize: number;
  source: WindowSource<T>;
}): StreamedConnection<T> {
  const { codec, scope, args } = options;
  const wanted = forwardPageSize(args, options.maxPageSize);
  // Decoded now: a forged cursor fails the connection field, as it does without @stream.
  const after = args.after ? codec.decode<TokenCursor>(scope, args.after) : undefined;
  const walk = new Walk(options.source);
  const taken: Taken<T>[] = [];
  let end: { last: Window<T> | undefined; lastIndex: number } | undefined;
  let failure: { error: unknown } | undefined;
  const waiting: (() => void)[] = [];
  const notify = () => {
    for (const wake of waiting.splice(0)) wake();
  };
  const progress = () => new Promise<void>((resolve) => waiting.push(resolve));

  void (async () => {
    const start = after ? await locate(walk, after) : { w: await walk.read(null, 0), i: 0 };
    let w: Window<T> | undefined = start.w;
    let i = start.i;
    while (w && taken.length < wanted) {
      if (i < w.items.length) {
        const n = Math.min(w.items.length - i, wanted - taken.length);
        for (let k = 0; k < n; k += 1) taken.push({ item: w.items[i + k] as T, window: w, index: i + k });
        i += n;
        notify();
      } else {
        w = await walk.after(w);
        i = 0;
      }
    }
    end = { last: w, lastIndex: i };
  })()
    .catch((error: unknown) => {
      failure = { error };
    })
    .finally(notify);

  /** Resolves once `count` items are taken or the page ended; rethrows the walk's failure. */
  const until = async (count: number) => {
    while (taken.length < count && !end && !failure) await progress();
    if (failure && taken.length < count) throw failure.error;
  };
  const ended = async () => {
    while (!end && !failure) await progress();
    if (failure) throw failure.error;
    return end as { last: Window<T> | undefined; lastIndex: number };
  };

  let more: Promise<Taken<T>[]> | undefined;
  /** Up to ANCHORS items after the page: the rest of its last window, then one more window only when needed. */
  const rest = async (): Promise<Taken<T>[]> => {
    const { last, lastIndex } = await ended();
    const known = last
      ? last.items.slice(lastIndex, lastIndex + ANCHORS).map((item, d) => take(last, lastIndex + d, item))
      : [];
    if (known.length >= ANCHORS || !last || !(last.next !== undefined || last.more)) return known;
    more ??= walk
      .after(last)
      .then((next) => [
        ...known,
        ...(next ? next.items.slice(0, ANCHORS - known.length).map((item, d) => take(next, d, item)) : []),
      ]);
    return more;
  };
  const cursorOf = async (j: number): Promise<string> => {
    await until(j + 1 + ANCHORS);
    const edge = taken[j] as Taken<T>;
    const inPage = taken.slice(j + 1, j + 1 + ANCHORS);
    const encode = (followers: Taken<T>[]) => codec.encode(scope, tokenCursor(walk, edge, followers));
    return inPage.length >= ANCHORS ? encode(inPage) : encode([...inPage, ...(await rest())]);
  };

  async function* edges(): AsyncGenerator<Edge<T>> {
    for (let j = 0; ; j += 1) {
      await until(j + 1);
      if (j >= taken.length) return;
      const index = j;
      yield {
        node: (taken[index] as Taken<T>).item,
        get cursor() {
          return cursorOf(index);
        },
      };
    }
  }

  return {
    // A fresh walk over the items for each reader (the same edges may be selected twice, under aliases).
    edges: { [Symbol.asyncIterator]: () => edges() },
    pageInfo: {
      get hasNextPage() {
        return ended().then(async ({ last, lastIndex }) =>
          last && lastIndex < last.items.length ? true : (await rest()).length > 0,
        );
      },
      hasPreviousPage: args.after != null,
      get startCursor() {
        return until(1).then(() => (taken.length ? cursorOf(0) : null));
      },
      get endCursor() {
        return ended().then(() => (taken.length ? cursorOf(taken.length - 1) : null));
      },
    },
  };
}

const take = <T>(window: Window<T>, index: number, item: T): Taken<T> => ({ item, window, index });
