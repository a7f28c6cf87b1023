// The fold consumer alone: reads the ingest topics and folds them into the live windows and
// history. Run as many as there are partitions to spread the work (scale-out).
import { runProcess } from '../src/app/run.js';

await runProcess({ role: 'fold' });
