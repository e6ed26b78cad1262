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

type End<T> = { last: Window<T> | undefined; lastIndex: number };

/**
 * The items of one page, taken window by window as MTurk answers: readers wait for as many items as they need
 * (`until`) or for the page's end (`ended`), and are woken as each window arrives.
 */
class WindowFeed<T> {
  readonly taken: Taken<T>[] = [];
  private end?: End<T>;
  private failure?: { error: unknown };
  private waiting: (() => void)[] = [];

  constructor(
    readonly walk: Walk<T>,
    wanted: number,
    after: TokenCursor | undefined,
  ) {
    this.read(wanted, after)
      .catch((error: unknown) => {
        this.failure = { error };
      })
      .finally(() => this.notify());
  }

  private notify() {
    for (const wake of this.waiting.splice(0)) wake();
  }

  private progress() {
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private async read(wanted: number, after: TokenCursor | undefined) {
    const start = after ? await locate(this.walk, after) : { w: await this.walk.read(null, 0), i: 0 };
    let w: Window<T> | undefined = start.w;
    let i = start.i;
    while (w && this.taken.length < wanted) {
      if (i < w.items.length) {
        const some = w.items.slice(i, i + wanted - this.taken.length);
        for (const [k, item] of some.entries()) this.taken.push(take(w, i + k, item));
        i += some.length;
        this.notify();
      } else {
        w = await this.walk.after(w);
        i = 0;
      }
    }
    this.end = { last: w, lastIndex: i };
  }

  /** Resolves once `count` items are taken or the page ended; rethrows the walk's failure. */
  async until(count: number): Promise<void> {
    while (this.taken.length < count && !this.end && !this.failure) await this.progress();
    if (this.failure && this.taken.length < count) throw this.failure.error;
  }

  async ended(): Promise<End<T>> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      if (this.end) return this.end;
      await this.progress();
    }
  }
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
  const feed = new WindowFeed(new Walk(options.source), wanted, after);
  const { taken, walk } = feed;

  let more: Promise<Taken<T>[]> | undefined;
  /** Up to ANCHORS items after the page: the rest of its last window, then one more window only when needed. */
  const rest = async (): Promise<Taken<T>[]> => {
    const { last, lastIndex } = await feed.ended();
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
  const cursorOf = async (edge: Taken<T>, j: number): Promise<string> => {
    await feed.until(j + 1 + ANCHORS);
    const inPage = taken.slice(j + 1, j + 1 + ANCHORS);
    const followers = inPage.length >= ANCHORS ? inPage : [...inPage, ...(await rest())];
    return codec.encode(scope, tokenCursor(walk, edge, followers));
  };

  async function* edges(): AsyncGenerator<Edge<T>> {
    for (let j = 0; ; j += 1) {
      await feed.until(j + 1);
      const edge = taken[j];
      if (!edge) return;
      const index = j;
      yield {
        node: edge.item,
        get cursor() {
          return cursorOf(edge, index);
        },
      };
    }
  }

  return {
    // A fresh walk over the items for each reader (the same edges may be selected twice, under aliases).
    edges: { [Symbol.asyncIterator]: () => edges() },
    pageInfo: {
      get hasNextPage() {
        return feed
          .ended()
          .then(async ({ last, lastIndex }) =>
            last && lastIndex < last.items.length ? true : (await rest()).length > 0,
          );
      },
      hasPreviousPage: args.after != null,
      get startCursor() {
        return feed.until(1).then(() => {
          const first = taken[0];
          return first ? cursorOf(first, 0) : null;
        });
      },
      get endCursor() {
        return feed.ended().then(() => {
          const last = taken.at(-1);
          return last ? cursorOf(last, taken.length - 1) : null;
        });
      },
    },
  };
}

const take = <T>(window: Window<T>, index: number, item: T): Taken<T> => ({ item, window, index });
