#!/usr/bin/env node
// `keybench` entry: runs the TypeScript CLI through tsx so `npx keybench` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
