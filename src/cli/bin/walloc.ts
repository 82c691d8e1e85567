#!/usr/bin/env node
import { main } from '../run.js';
import { wallocMain } from '../walloc.js';

main((io) => wallocMain(process.argv.slice(2), io));
