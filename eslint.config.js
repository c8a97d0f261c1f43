// Each folder may import only what its runtime has (architecture.md): the core runs in plain Node,
// the contract runs anywhere, the renderer runs in a browser.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeModules = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const noElectron = { name: 'electron', message: 'Only electron/main, preload and hid-host may import electron at runtime; use `import type`.', allowTypeImports: true };

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'test-results/**', 'playwright-report/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['electron/core/**', 'electron/cli/**', 'electron/web/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: [noElectron] }] },
  },
  {
    files: ['electron/contract/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [noElectron, ...nodeModules.map((name) => ({ name, message: 'The contract is shared with the renderer: no Node modules.' }))],
      }],
    },
  },
  {
    files: ['renderer/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [
          { name: 'electron', message: 'The renderer knows only window.station.' },
          ...nodeModules.map((name) => ({ name, message: 'The renderer runs in a browser: no Node modules.' })),
        ],
        patterns: [{ group: ['**/electron/core/**', '**/electron/main/**', '**/electron/hid-host/**', '**/electron/web/**', '**/electron/cli/**'], message: 'The renderer imports only electron/contract.' }],
      }],
    },
  },
);
