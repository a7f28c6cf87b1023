// The end-to-end suite (end-to-end.ts, where its cases and assertions live) on the embedded
// engines (what `npm start` runs without service settings): the on-disk log, in-process live
// windows and change feed, SQLite history, in a temporary DATA_DIR.
import { startTestStack } from '../support/app.js';
import { describeEndToEnd } from './end-to-end.js';

describeEndToEnd('embedded', (settings) => startTestStack('embedded', settings));
