#!/usr/bin/env node
// The rotctl executable: runs the compiled CLI in dist/ (npm run build makes it).
import { main } from '../dist/cli.js';

const code = await main(process.argv);
process.exit(code);
