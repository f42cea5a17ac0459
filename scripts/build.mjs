#!/usr/bin/env node
// Builds dist/: one ESM entry (dist/cli.js) with commander inside it, and the commands, the AWS
// SDK, prompts and spinners in chunks that load only when a command needs them. Measured with
// npm run bench: this starts faster than loading the same modules from node_modules one by one.
import { build } from 'esbuild';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';

// Build beside dist/ and swap at the end, so a CLI already running keeps a whole dist/.
rmSync('dist.next', { recursive: true, force: true });
const result = await build({
  entryPoints: ['src/cli.ts'],
  outdir: 'dist.next',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS packages (the AWS SDK) call require(); give every chunk a real one.
  banner: {
    js:
      "import { createRequire as __rotctlRequire } from 'node:module';" +
      'const require = __rotctlRequire(import.meta.url);',
  },
  logLevel: 'warning',
  metafile: true,
});

rmSync('dist', { recursive: true, force: true });
renameSync('dist.next', 'dist');

// Which packages went into which file of dist/: the startup test reads it (not shipped).
mkdirSync('.build', { recursive: true });
const meta = JSON.stringify(result.metafile).replaceAll('dist.next/', 'dist/');
writeFileSync('.build/meta.json', meta);
