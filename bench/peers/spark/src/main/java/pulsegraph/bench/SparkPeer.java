package pulsegraph.bench;

import static org.apache.spark.sql.functions.*;

import java.net.URI;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * The classic pipeline's job for the peers benchmark: Kafka -> Spark Structured Streaming -> Redis.
 * Count, sum and approximate uniques (approx_count_distinct, HyperLogLog++) of the benchmark's
 * events per event name and per (event name, dimension key, dimension value), over event-time
 * tumbling windows of 10 s and of 1 minute, each its own streaming query (Spark runs one
 * aggregation per query).
 *
 * <p>Output mode update: each micro-batch writes the windows it changed, with their whole current
 * aggregate, so a window's hash in Redis holds its final figures as soon as the micro-batch with its
 * last events commits; the watermark only bounds the state kept for late events. Redis layout:
 * {@code <prefix>:w<seconds>:<window start ms>} is a hash of {@code name|dimKey|dimValue} (dimKey
 * and dimValue empty for the event name's total) to {@code count|sum|uniques}, and {@code
 * <prefix>:progress} counts, per query, the Kafka records of the micro-batches committed so far.
 *
 * <p>Arguments: --brokers host:port --topic t --redis redis://host:port --prefix p --checkpoint dir
 * [--watermark "10 seconds"] [--shuffle-partitions 4] [--max-offsets-per-trigger n].
 */
public final class SparkPeer {
  private static final int[] WINDOW_SECONDS = {10, 60};

  public static void main(String[] argv) throws TimeoutException, StreamingQueryException {
    Map<String, String> args = parseArgs(argv);
    String redisUrl = required(args, "redis");
    String prefix = required(args, "prefix");

    SparkSession spark =
        SparkSession.builder()
            .appName("pulsegraph-peer")
            .master(args.getOrDefault("master", "local[2]"))
            .config("spark.ui.enabled", "false")
            // The default of 200 shuffle partitions is for clusters: on two cores each would be a
            // task of its own per micro-batch.
            .config("spark.sql.shuffle.partitions", args.getOrDefault("shuffle-partitions", "4"))
            .getOrCreate();
    spark.streams().addListener(new ProgressToRedis(redisUrl, prefix));

    StructType schema =
        new StructType()
            .add("name", DataTypes.StringType)
            .add("timestamp", DataTypes.LongType)
            .add("userId", DataTypes.StringType)
            .add("value", DataTypes.DoubleType)
            .add(
                "dimensions",
                DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType));

    for (int seconds : WINDOW_SECONDS) {
      var reader =
          spark
              .readStream()
              .format("kafka")
              .option("kafka.bootstrap.servers", required(args, "brokers"))
              .option("subscribe", required(args, "topic"))
              .option("startingOffsets", "earliest");
      if (args.containsKey("max-offsets-per-trigger"))
        reader = reader.option("maxOffsetsPerTrigger", args.get("max-offsets-per-trigger"));
      Dataset<Row> events =
          reader
              .load()
              .select(from_json(col("value").cast("string"), schema).as("e"))
              .select(
                  col("e.name").as("name"),
                  timestamp_millis(col("e.timestamp")).as("ts"),
                  col("e.userId").as("userId"),
                  col("e.value").as("value"),
                  col("e.dimensions").as("dimensions"))
              .withWatermark("ts", args.getOrDefault("watermark", "10 seconds"));
      // One row per event for its name's total, and one per dimension it carries.
      Column total = array(struct(lit("").as("key"), lit("").as("value")));
      Dataset<Row> perSeries =
          events.withColumn(
              "series",
              explode(
                  when(col("dimensions").isNull(), total)
                      .otherwise(concat(total, map_entries(col("dimensions"))))));
      Dataset<Row> windows =
          perSeries
              .groupBy(
                  window(col("ts"), seconds + " seconds"),
                  col("name"),
                  col("series.key").as("dimKey"),
                  col("series.value").as("dimValue"))
              .agg(
                  count(lit(1)).as("count"),
                  sum(col("value")).as("sum"),
                  approx_count_distinct(col("userId")).as("uniques"));
      windows
          .writeStream()
          .queryName("w" + seconds)
          .outputMode("update")
          .option("checkpointLocation", required(args, "checkpoint") + "/w" + seconds)
          .foreachBatch(new WindowsToRedis(redisUrl, prefix, seconds))
          .start();
    }
    System.out.println("spark peer started");
    spark.streams().awaitAnyTermination();
  }

  /** Writes one micro-batch's changed windows, each partition through one pipelined connection. */
  private static final class WindowsToRedis implements VoidFunction2<Dataset<Row>, Long> {
    private final String redisUrl;
    private final String prefix;
    private final int seconds;

    WindowsToRedis(String redisUrl, String prefix, int seconds) {
      this.redisUrl = redisUrl;
      this.prefix = prefix;
      this.seconds = seconds;
    }

    @Override
    public void call(Dataset<Row> batch, Long batchId) {
      String redisUrl = this.redisUrl;
      String keyPrefix = prefix + ":w" + seconds + ":";
      batch
          .select(
              col("window.start").cast("long").multiply(1000).as("startMs"),
              col("name"),
              col("dimKey"),
              col("dimValue"),
              col("count"),
              col("sum"),
              col("uniques"))
          .foreachPartition(
              (ForeachPartitionFunction<Row>)
                  rows -> writePartition(redisUrl, keyPrefix, rows));
    }

    private static void writePartition(String redisUrl, String keyPrefix, Iterator<Row> rows) {
      if (!rows.hasNext()) return;
      try (Jedis jedis = new Jedis(URI.create(redisUrl))) {
        Pipeline pipeline = jedis.pipelined();
        while (rows.hasNext()) {
          Row row = rows.next();
          pipeline.hset(
              keyPrefix + row.getLong(0),
              row.getString(1) + "|" + row.getString(2) + "|" + row.getString(3),
              row.getLong(4) + "|" + row.getDouble(5) + "|" + row.getLong(6));
        }
        pipeline.sync();
      }
    }
  }

  /** After each committed micro-batch: how many Kafka records the query has consumed in all. */
  private static final class ProgressToRedis extends StreamingQueryListener {
    private final Jedis jedis;
    private final String key;

    ProgressToRedis(String redisUrl, String prefix) {
      this.jedis = new Jedis(URI.create(redisUrl));
      this.key = prefix + ":progress";
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {}

    @Override
    public synchronized void onQueryProgress(QueryProgressEvent event) {
      long rows = event.progress().numInputRows();
      if (rows == 0) return;
      jedis.hincrBy(key, event.progress().name(), rows);
      // For the report: what a micro-batch costs (the benchmark reads these lines).
      System.out.println(
          "batch "
              + event.progress().name()
              + " "
              + rows
              + " "
              + event.progress().durationMs().get("triggerExecution"));
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {}
  }

  private static Map<String, String> parseArgs(String[] argv) {
    Map<String, String> args = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      if (!argv[i].startsWith("--")) throw new IllegalArgumentException("expected --name: " + argv[i]);
      args.put(argv[i].substring(2), argv[i + 1]);
    }
    return args;
  }

  private static String required(Map<String, String> args, String name) {
    String value = args.get(name);
    if (value == null) throw new IllegalArgumentException("missing --" + name);
    return value;
  }
}
