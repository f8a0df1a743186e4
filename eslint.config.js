// Lint rules: typescript-eslint's recommended set, plus no console in services
// (they log with pino; only cli/ and bench/ print for people).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['cli/**', 'bench/**', 'bin/**'], rules: { 'no-console': 'off' } },
  { files: ['bin/**', '*.js'], languageOptions: { globals: { process: 'readonly' } } },
);
