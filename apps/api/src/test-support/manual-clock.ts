import type { Clock } from "../lib/clock.ts";

/** A clock that only moves when a test says so. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date | string = "2026-01-05T10:00:00.000Z") {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
