import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, no services) and `services` (everything else under test/:
// integration, contract, fault tests) whose global setup brings up the real engines when they do
// not answer, and gives the run its own ClickHouse database, topic and key prefixes.
//   npm test                         all of it
//   npx vitest run --project unit    only the unit tests (no stack needed)
export default defineConfig({
  // graphql 16 ships CJS (main) and ESM (module) builds without an exports map: Node loads the CJS
  // one for graphql-yoga and Pothos, vite would give our sources the ESM one, and graphql refuses
  // to mix its classes across the two ("Cannot use GraphQLObjectType from another module or
  // realm"). Point our sources at the build Node loads.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    // 2 cores, and Kafka + ClickHouse + Redis share them with the tests.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'services',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', '**/node_modules/**'],
          globalSetup: ['test/setup/global-setup.ts'],
          setupFiles: ['test/setup/env.ts'],
        },
      },
    ],
  },
});
