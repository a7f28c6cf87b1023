import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the tests (and any TypeScript client) from the printed schema.
//   npm run codegen          regenerate test/generated/
//   npm run schema:check     fail when schema/schema.graphql or test/generated/ is stale
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['test/**/*.graphql', 'test/**/*.ts', '!test/generated/**'],
  ignoreNoDocuments: true,
  importExtension: '.js',
  generates: {
    'test/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { DateTime: 'string', JSON: 'unknown' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
