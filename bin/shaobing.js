#!/usr/bin/env node
// Entry of the `shaobing` command: runs the compiled CLI (npm ci builds it via `prepare`).
import '../dist/cli/main.js';
