#!/usr/bin/env node
import { main, runCommand } from '../run.js';
import { decodeCommand } from '../decode.js';

main((io) => runCommand(decodeCommand, process.argv.slice(2), io));
