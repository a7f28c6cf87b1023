// `npm start`: the API and the fold consumers in one process, on the embedded engines unless
// KAFKA_BROKERS, REDIS_URL and CLICKHOUSE_URL are set. ROLE=api or ROLE=fold runs one half.
import { startApi } from './app/api-runner.js';
import { runProcess } from './app/run.js';

await runProcess({ startApi });
