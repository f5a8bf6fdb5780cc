import { asc, and, eq, gt, lte, min, sql } from "drizzle-orm";
import type { ResyncMessage, TidemarkEvent, TidemarkEventPayload } from "@tidemark/shared";
import type { Db } from "../db/client.ts";
import { events } from "../db/schema.ts";
import type { Clock } from "../lib/clock.ts";

type Listener = (event: TidemarkEvent) => void;
interface Subscriber {
  deliver: Listener;
  end?: () => void;
}
export type EventRecorder = (userId: string, payload: TidemarkEventPayload) => void;

/**
 * The durable, bounded log of everything pushed over `/api/ws`, and the hub that fans events out
 * to live subscribers. Events are written in the same transaction as the state change they
 * describe and published only after that transaction commits, so a client never sees an event
 * for a change that was rolled back, and a reconnecting client can replay what it missed.
 */
export class EventLog {
  private readonly listeners = new Map<string, Set<Subscriber>>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly limit: number,
  ) {}

  /**
   * Runs `work` in one transaction, giving it a way to record events; the events are
   * published to live subscribers once the transaction has committed.
   */
  transaction<T>(work: (record: EventRecorder) => T): T {
    const recorded: Array<{ userId: string; event: TidemarkEvent }> = [];
    const result = this.db.transaction(() =>
      work((userId, payload) => recorded.push({ userId, event: this.insert(userId, payload) })),
    );
    for (const { userId, event } of recorded) this.publish(userId, event);
    return result;
  }

  /** Events of one user after `afterId`, or a resync request when some of them were pruned. */
  replay(userId: string, afterId: number): TidemarkEvent[] | ResyncMessage {
    const lastEventId = this.lastId();
    const oldest = this.db.select({ id: min(events.id) }).from(events).get()?.id ?? lastEventId + 1;
    const missedPruned = afterId + 1 < oldest;
    const fromAnotherLog = afterId > lastEventId;
    if (missedPruned || fromAnotherLog) return { type: "resync", lastEventId };
    return this.db
      .select()
      .from(events)
      .where(and(eq(events.userId, userId), gt(events.id, afterId)))
      .orderBy(asc(events.id))
      .all()
      .map(toEvent);
  }

  /** The highest id ever given out (AUTOINCREMENT keeps it even when rows are pruned). */
  lastId(): number {
    const row = this.db.get<{ seq: number } | undefined>(
      sql`SELECT seq FROM sqlite_sequence WHERE name = 'events'`,
    );
    return row?.seq ?? 0;
  }

  /** `onEnd` runs if the subscription is ended from this side (the user was deleted). */
  subscribe(userId: string, listener: Listener, onEnd?: () => void): () => void {
    let set = this.listeners.get(userId);
    if (!set) {
      set = new Set();
      this.listeners.set(userId, set);
    }
    const subscriber: Subscriber = { deliver: listener, end: onEnd };
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
      if (set.size === 0 && this.listeners.get(userId) === set) this.listeners.delete(userId);
    };
  }

  /** Deletes every event of a user; run in the transaction that deletes the user. */
  deleteForUser(userId: string): number {
    return this.db.delete(events).where(eq(events.userId, userId)).run().changes;
  }

  /** Ends the live subscriptions of a deleted user, so their open streams close. */
  endSubscriptions(userId: string): void {
    const set = this.listeners.get(userId);
    this.listeners.delete(userId);
    for (const subscriber of set ?? []) subscriber.end?.();
  }

  /** Keeps the newest `limit` events; returns how many were removed. */
  prune(): number {
    const cutoff = this.lastId() - this.limit;
    if (cutoff <= 0) return 0;
    return this.db.delete(events).where(lte(events.id, cutoff)).run().changes;
  }

  private insert(userId: string, payload: TidemarkEventPayload): TidemarkEvent {
    const createdAt = this.clock.now().getTime();
    const row = this.db
      .insert(events)
      .values({ userId, type: payload.type, payload: JSON.stringify(payload), createdAt })
      .returning({ id: events.id })
      .get();
    return toEvent({ id: row.id, payload: JSON.stringify(payload), createdAt });
  }

  private publish(userId: string, event: TidemarkEvent): void {
    for (const subscriber of this.listeners.get(userId) ?? []) subscriber.deliver(event);
  }
}

function toEvent(row: { id: number; payload: string; createdAt: number }): TidemarkEvent {
  const payload = JSON.parse(row.payload) as TidemarkEventPayload;
  return { ...payload, id: row.id, at: new Date(row.createdAt).toISOString() } as TidemarkEvent;
}
