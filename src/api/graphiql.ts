/** What GraphiQL at /graphql opens with in development: one example of every operation. */
export const EXAMPLE_OPERATIONS = /* GraphQL */ `
  # Send some events, then ask for them.
  mutation Ingest {
    ingest(
      events: [
        { name: "page_view", userId: "u1", dimensions: { country: "FR", page: "/home" } }
        { name: "purchase", userId: "u1", value: 42.5, dimensions: { country: "FR", plan: "pro" } }
      ]
    ) {
      accepted
      rejected {
        index
        reason
      }
    }
  }

  query LastMinute {
    live(metric: { event: "page_view", groupBy: "country" }, window: "1m") {
      group
      value
      windowStart
      windowEnd
    }
  }

  query LastHour {
    history(
      metric: { event: "purchase", aggregate: SUM }
      from: "2024-01-01T00:00:00Z"
      interval: "1h"
    ) {
      group
      points {
        time
        value
      }
    }
  }

  query Names {
    eventNames(limit: 10)
    freshness {
      foldedThrough
      lagMs
      behind
    }
  }

  mutation Lookup {
    putLookup(
      table: "ads"
      keyDimension: "ad_id"
      rows: [{ key: "a1", values: { campaign_id: "c7" } }]
    )
  }

  # How messages of a topic you already have would become events (admin keys; nothing stored).
  query TryMapping {
    dryRunTopicMapping(
      mapping: {
        name: "shop"
        topic: "transaction_events"
        eventName: "$.type"
        timestamp: { path: "$.ts", format: EPOCH_MILLIS }
        userId: "$.user.id"
        value: "$.amount"
        dimensions: [{ name: "country", path: "$.user.country" }]
      }
      messages: [
        "{\\"type\\":\\"purchase\\",\\"ts\\":1767225600000,\\"user\\":{\\"id\\":7,\\"country\\":\\"FR\\"},\\"amount\\":\\"12.50\\"}"
      ]
    ) {
      index
      rejections
      events {
        name
        timestamp
        userId
        value
        dimensions
      }
    }
  }

  subscription LiveCount {
    live(metric: { event: "page_view" }, window: "10s", every: "1s") {
      value
      windowEnd
    }
  }

  subscription Series {
    series(metric: { event: "page_view" }, since: "2024-01-01T00:00:00Z", interval: "1m") {
      group
      point {
        time
        value
      }
      final
    }
  }
`;
