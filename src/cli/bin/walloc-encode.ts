#!/usr/bin/env node
import { main, runCommand } from '../run.js';
import { encodeCommand } from '../encode.js';

main((io) => runCommand(encodeCommand, process.argv.slice(2), io));
