// The end-to-end suite (end-to-end.ts, where its cases and assertions live) on the real engines:
// the run's Kafka (a fresh topic and group), Redis (a fresh key prefix) and ClickHouse (the run's
// database).
import { startTestStack } from '../support/app.js';
import { describeEndToEnd } from './end-to-end.js';

describeEndToEnd('real', (settings) => startTestStack('real', settings));
