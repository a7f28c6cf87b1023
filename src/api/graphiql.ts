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
