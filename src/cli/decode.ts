/**
 * `walloc-decode`: turn a .wlc stream back into PNG, y4m, WAV or NIfTI.
 * The codec path this command drives has not landed yet; until it does the command says so with a
 * coded error rather than pretending to work.
 */
import { werr } from '../errors.js';
import type { CommandSpec } from './command.js';

export const decodeCommand: CommandSpec = {
  name: 'walloc-decode',
  summary: 'turn a .wlc stream back into PNG, y4m, WAV or NIfTI',
  usage: ['walloc-decode [INPUT|-] [-o OUTPUT]'],
  options: {
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'output file (default: stdout)' },
  },
  async run() {
    throw werr('WALLOC_ERR_NOT_IMPLEMENTED', { feature: 'walloc-decode' });
  },
};
