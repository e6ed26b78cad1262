/**
 * Who polls a topic, and the state its polls are compared with. Alone, this instance polls every topic it watches;
 * in a fleet (src/live/redisLease.ts) a lease in Redis picks one instance per topic, and the state lives in Redis so
 * that the instance that takes over compares with what the previous one saw: nothing is missed in between.
 */
export interface Coordination {
  /** Takes or renews the topic's lease for `ttlMs`: true when this instance is to poll it now. */
  lead(topic: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (the last local subscriber left), so that another watching instance takes it at once. */
  release(topic: string): Promise<void>;
  load(topic: string): Promise<unknown | undefined>;
  save(topic: string, state: unknown, ttlMs: number): Promise<void>;
  /** Whether some instance watches the topic (someone is subscribed to it). */
  watched(topic: string): Promise<boolean>;
}

/** At most this many topics' states are kept in memory after their poller stopped. */
const MAX_STATES = 10_000;

/** One instance: it leads every topic it watches; states are kept in memory for a while after a poller stops. */
export class LocalCoordination implements Coordination {
  private readonly states = new Map<string, { state: unknown; until: number }>();

  constructor(private readonly isWatched: (topic: string) => boolean) {}

  async lead(): Promise<boolean> {
    return true;
  }

  async release(): Promise<void> {}

  async load(topic: string): Promise<unknown | undefined> {
    const kept = this.states.get(topic);
    return kept && kept.until > Date.now() ? kept.state : undefined;
  }

  async save(topic: string, state: unknown, ttlMs: number): Promise<void> {
    this.states.delete(topic);
    this.states.set(topic, { state, until: Date.now() + ttlMs });
    for (const key of this.states.keys()) {
      if (this.states.size <= MAX_STATES) break;
      this.states.delete(key);
    }
  }

  async watched(topic: string): Promise<boolean> {
    return this.isWatched(topic);
  }
}
