/** One validated event, as the fold and the stores see it. */
export interface AnalyticsEvent {
  /** Idempotency key: the same id ingested twice counts once. */
  id: string;
  tenant: string;
  name: string;
  /** Event time, epoch milliseconds (UTC). */
  timestamp: number;
  userId: string | null;
  value: number | null;
  dimensions: Record<string, string>;
}

/** Where a record sits in the log: the position sinks use to skip what they already applied. */
export interface LogPosition {
  topic: string;
  partition: number;
  offset: number;
}

/** An event together with the log record it came from. */
export interface PositionedEvent extends AnalyticsEvent, LogPosition {}
