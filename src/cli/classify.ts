/**
 * `classify`: classify the frames of a .wlc stream without decoding them.
 * The codec path this command drives has not landed yet; until it does the command says so with a
 * coded error rather than pretending to work.
 */
import { werr } from '../errors.js';
import type { CommandSpec } from './command.js';

export const classifyCommand: CommandSpec = {
  name: 'classify',
  summary: 'classify the frames of a .wlc stream without decoding them',
  usage: ['classify [INPUT|-] [-o OUTPUT]'],
  options: {
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'output file (default: stdout)' },
  },
  async run() {
    throw werr('WALLOC_ERR_NOT_IMPLEMENTED', { feature: 'classify' });
  },
};
