import { builder } from './builder.js';
import './metric.js';
import './history.js';
import './live.js';
import './ingest.js';
import './lookups.js';
import './freshness.js';
import './mappings.js';

export const schema = builder.toSchema({ sortSchema: false });
