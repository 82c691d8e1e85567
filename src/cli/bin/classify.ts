#!/usr/bin/env node
import { main, runCommand } from '../run.js';
import { classifyCommand } from '../classify.js';

main((io) => runCommand(classifyCommand, process.argv.slice(2), io));
