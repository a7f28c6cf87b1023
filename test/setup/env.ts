// Setup file of the `services` project: puts the run's settings (provided by global-setup.ts) into
// process.env, so code that reads its config from the environment (loadConfig) sees them too.
import { inject } from 'vitest';

Object.assign(process.env, inject('services'));
