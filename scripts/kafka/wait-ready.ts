// Waits until a Kafka broker answers a metadata request (kafkajs admin listTopics).
// Used by scripts/stack.sh: `tsx scripts/kafka/wait-ready.ts <brokers> <timeoutSeconds>`.
// Exits 0 once it answers, 1 with the last error when the deadline passes.
import { Kafka, logLevel } from 'kafkajs';

const brokers = (process.argv[2] ?? '127.0.0.1:19092').split(',');
const timeoutMs = Number(process.argv[3] ?? '60') * 1000;
const deadline = Date.now() + timeoutMs;

const kafka = new Kafka({
  clientId: 'stack-wait-ready',
  brokers,
  logLevel: logLevel.NOTHING,
  connectionTimeout: 2000,
  requestTimeout: 5000,
  retry: { retries: 0 },
});

let lastError: unknown = new Error('no attempt made');
while (Date.now() < deadline) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    console.log(`kafka answers: cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)`);
    process.exit(0);
  } catch (error) {
    lastError = error;
    await admin.disconnect().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
console.error(
  `kafka did not answer on ${brokers.join(',')} within ${timeoutMs / 1000}s: ${String(lastError)}`,
);
process.exit(1);
